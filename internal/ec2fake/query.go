package ec2fake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// call is one parsed EC2 or STS API request.
type call struct {
	action string
	params url.Values
	svc    *service
	// acct is the account the request's credentials belong to, and principal
	// the ARN of their caller.
	acct      *account
	principal string
	// page is the 1-based page asked for; 0 when the NextToken is invalid.
	page int
	// offset is the index of the page's first item in the filtered listing.
	offset int
	// tokenErr is set when the NextToken is invalid; handlers report it, so
	// that faults still apply to such requests first.
	tokenErr error
}

// pageToken is the content of a NextToken. AWS tokens are opaque; this one
// carries what the fake needs to resume a listing and to reject tokens that
// belong to another action or server.
type pageToken struct {
	Action string `json:"a"`
	Server string `json:"s"`
	Page   int    `json:"p"`
	Offset int    `json:"o"`
}

var errInvalidToken = &apiError{http.StatusBadRequest, "InvalidPaginationToken",
	"The pagination token is invalid or expired."}

func (s *Server) newCall(params url.Values) *call {
	c := &call{action: params.Get("Action"), params: params, page: 1}
	raw := params.Get("NextToken")
	if raw == "" {
		return c
	}
	var t pageToken
	b, err := base64.StdEncoding.DecodeString(raw)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.Action != c.action || t.Server != s.nonce || t.Page < 2 || t.Offset < 0 {
		c.page, c.tokenErr = 0, errInvalidToken
		return c
	}
	c.page, c.offset = t.Page, t.Offset
	return c
}

func (s *Server) encodeToken(c *call, offset int) string {
	b, _ := json.Marshal(pageToken{Action: c.action, Server: s.nonce, Page: c.page + 1, Offset: offset})
	return base64.StdEncoding.EncodeToString(b)
}

// maxPageSize is the largest page EC2 returns, and the size used when the
// request has no MaxResults.
const maxPageSize = 1000

// pageLimits is how an action validates MaxResults.
type pageLimits struct {
	min int
	// max is the largest page, and the size used when the request has no MaxResults;
	// 0 means maxPageSize.
	max int
	// capped actions answer MaxResults above the largest page with a full page, as AWS
	// documents for them; the others reject it.
	capped bool
}

func (l pageLimits) size(params url.Values) (int, error) {
	largest := l.max
	if largest == 0 {
		largest = maxPageSize
	}
	raw := params.Get("MaxResults")
	if raw == "" {
		return largest, nil
	}
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		return 0, errInvalidParameterValue("Value (%s) for parameter maxResults is invalid.", raw)
	case n > largest && l.capped:
		return largest, nil
	case n < l.min || n > largest:
		return 0, errInvalidParameterValue(
			"Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d.",
			n, l.min, largest)
	}
	return n, nil
}

// filter is one Filter.N parameter: its values are alternatives.
type filter struct {
	name   string
	values []string
}

// parseFilters reads Filter.N.Name and Filter.N.Value.M, ordered by N and M.
func parseFilters(params url.Values) ([]filter, error) {
	type indexed struct {
		name   string
		values map[int]string
	}
	byIndex := map[int]*indexed{}
	for key, vals := range params {
		rest, ok := strings.CutPrefix(key, "Filter.")
		if !ok {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil {
			return nil, errUnknownParameter(key)
		}
		f := byIndex[n]
		if f == nil {
			f = &indexed{values: map[int]string{}}
			byIndex[n] = f
		}
		if field == "Name" {
			f.name = vals[0]
			continue
		}
		vnum, ok := strings.CutPrefix(field, "Value.")
		m, err := strconv.Atoi(vnum)
		if !ok || err != nil {
			return nil, errUnknownParameter(key)
		}
		f.values[m] = vals[0]
	}
	var out []filter
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		f := byIndex[n]
		if f.name == "" {
			// What AWS answers for a filter without a name.
			return nil, errInvalidFilter("null")
		}
		var values []string
		for _, m := range slices.Sorted(maps.Keys(f.values)) {
			values = append(values, f.values[m])
		}
		out = append(out, filter{name: f.name, values: values})
	}
	return out, nil
}

// listParam reads a flattened list parameter such as VpcEndpointId.N, ordered by N.
func listParam(params url.Values, name string) []string {
	byIndex := map[int]string{}
	for key, vals := range params {
		num, ok := strings.CutPrefix(key, name+".")
		if n, err := strconv.Atoi(num); ok && err == nil {
			byIndex[n] = vals[0]
		}
	}
	var out []string
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		out = append(out, byIndex[n])
	}
	return out
}

// matcher reports whether an item matches any of a filter's values.
type matcher[T any] func(item *T, values []string) bool

// resource describes how one Describe action selects and pages its items.
type resource[T any] struct {
	// idParam is the explicit ID list parameter, e.g. "VpcEndpointId".
	idParam string
	id      func(*T) string
	// notFound is the error for an explicit ID that does not exist.
	notFound func(id string) *apiError
	// owners lists the ids that exist when they are not the items' own: associations are
	// selected by their endpoint's id, and an endpoint without any is no error. Nil: the
	// items' ids.
	owners func(*account) map[string]bool
	// idsExcludePaging rejects MaxResults together with explicit IDs, as
	// DescribeNetworkInterfaces does.
	idsExcludePaging bool
	// filter finds the matcher for a filter name.
	filter func(name string) (matcher[T], bool)
	limits pageLimits
}

// query returns the page of items (sorted by ID) that c asks for, and the
// token of the next page, empty on the last page.
func (r resource[T]) query(s *Server, c *call, items []T) ([]T, string, error) {
	filters, err := parseFilters(c.params)
	if err != nil {
		return nil, "", err
	}
	matchers := make([]matcher[T], len(filters))
	for i, f := range filters {
		m, ok := r.filter(f.name)
		if !ok {
			return nil, "", errInvalidFilter(f.name)
		}
		matchers[i] = m
	}
	ids := listParam(c.params, r.idParam)
	if len(ids) > 0 && r.idsExcludePaging && c.params.Has("MaxResults") {
		return nil, "", &apiError{http.StatusBadRequest, "InvalidParameterCombination",
			fmt.Sprintf("The parameter %ss cannot be used with the parameter maxResults", r.idParam)}
	}
	size, err := r.limits.size(c.params)
	if err != nil {
		return nil, "", err
	}
	if c.tokenErr != nil {
		return nil, "", c.tokenErr
	}
	if len(ids) > 0 {
		known := map[string]bool{}
		if r.owners != nil {
			known = r.owners(c.acct)
		}
		for i := range items {
			known[r.id(&items[i])] = true
		}
		for _, id := range ids {
			if !known[id] {
				return nil, "", r.notFound(id)
			}
		}
	}

	var selected []T
	for i := range items {
		it := &items[i]
		if len(ids) > 0 && !slices.Contains(ids, r.id(it)) {
			continue
		}
		if allMatch(it, filters, matchers) {
			selected = append(selected, *it)
		}
	}

	start := min(c.offset, len(selected))
	end := min(start+size, len(selected))
	next := ""
	if end < len(selected) {
		next = s.encodeToken(c, end)
	}
	return selected[start:end], next, nil
}

func allMatch[T any](it *T, filters []filter, matchers []matcher[T]) bool {
	for i, f := range filters {
		if !matchers[i](it, f.values) {
			return false
		}
	}
	return true
}

func errInvalidFilter(name string) *apiError {
	return errInvalidParameterValue("The filter '%s' is invalid", name)
}

func errUnknownParameter(name string) *apiError {
	return &apiError{http.StatusBadRequest, "UnknownParameter",
		fmt.Sprintf("The parameter %s is not recognized", name)}
}
