package awsapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/synth"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// BenchmarkRefresh is what a refresh from the EC2 API costs CoreDNS for 100,000 endpoints
// (250,000 interfaces) besides the build: the SDK's work on the Describe calls' pages (signing,
// XML decoding; the pages are replayed from memory, so the network and the API cost nothing
// here), 350 for a full listing, 100 for a steady refresh between full ones. inventory's BenchmarkRefresh has the rest: the fingerprint that tells an
// unchanged inventory, and the merge of the sources' inventories that precedes a build.
func BenchmarkRefresh(b *testing.B) {
	const n = 100_000
	b.Run("fetch", func(b *testing.B) {
		client := replayClient(b, n)
		b.ReportAllocs()
		cpu0 := testkit.CPUTime()
		b.ResetTimer()
		for range b.N {
			inv, err := fetch(context.Background(), client, Query{}, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			if len(inv.Endpoints) != n || len(inv.Interfaces) != n*5/2 {
				b.Fatalf("fetched %d endpoints, %d interfaces", len(inv.Endpoints), len(inv.Interfaces))
			}
		}
		b.ReportMetric(float64((testkit.CPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	// A refresh between full listings that finds nothing changed: the endpoints' pages only.
	b.Run("steady", func(b *testing.B) {
		client := replayClient(b, n)
		first, err := fetchInventory(context.Background(), client, Query{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		// Every interface the replayed endpoints name, not only the replayed page's 1000, as
		// a full listing of the account would have them.
		all := synth.Generate(1000, synth.Options{}).NetworkInterfaces
		first.NetworkInterfaces = nil
		for range n / 1000 {
			first.NetworkInterfaces = append(first.NetworkInterfaces, all...)
		}
		prev := inventory.NewCompact(first)
		b.ReportAllocs()
		cpu0 := testkit.CPUTime()
		b.ResetTimer()
		for range b.N {
			inv, err := fetch(context.Background(), client, Query{}, prev, nil)
			if err != nil {
				b.Fatal(err)
			}
			if len(inv.Endpoints) != n || len(inv.Interfaces) != n*5/2 {
				b.Fatalf("fetched %d endpoints, %d interfaces", len(inv.Endpoints), len(inv.Interfaces))
			}
		}
		b.ReportMetric(float64((testkit.CPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}

// replayClient is an EC2 client whose Describe calls are answered from memory with pages
// recorded from the EC2 fake: every DescribeVpcEndpoints page holds the same 1000 endpoints,
// every DescribeNetworkInterfaces page the same 1000 interfaces, as many pages as an account of
// n endpoints (2.5 interfaces each) takes.
func replayClient(tb testing.TB, n int) *ec2.Client {
	tb.Helper()
	acct := synth.Generate(1000, synth.Options{})
	fake := ec2fake.New()
	fake.Load(acct.VpcEndpoints, acct.NetworkInterfaces, nil, nil)
	if err := fake.Start(); err != nil {
		tb.Fatal(err)
	}
	defer fake.Close()
	rec := &pageReplay{pages: map[string]int{
		"DescribeVpcEndpoints":      (n + 999) / 1000,
		"DescribeNetworkInterfaces": (n*5/2 + 999) / 1000,
	}, head: map[string][]byte{}, tail: map[string][]byte{}}
	client := func(base string, hc aws.HTTPClient) *ec2.Client {
		return ec2.New(ec2.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(base),
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDBENCHMARK", "benchmark-secret", ""),
			HTTPClient:   hc,
		})
	}
	// One page of each, from the fake, with its nextToken cut out.
	record := client(fake.URL(), recorderFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		action := r.Header.Get("X-Bench-Action")
		if _, ok := rec.head[action]; !ok && resp.StatusCode == http.StatusOK {
			page := nextTokenElem.ReplaceAll(body, nil)
			end := bytes.LastIndex(page, []byte("</"))
			rec.head[action], rec.tail[action] = page[:end], page[end:]
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	}))
	ctx := context.Background()
	withAction := func(action string) func(*ec2.Options) {
		return func(o *ec2.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Bench-Action", action))
		}
	}
	if _, err := record.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(1000)}, withAction("DescribeVpcEndpoints")); err != nil {
		tb.Fatal(err)
	}
	if _, err := record.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(1000)}, withAction("DescribeNetworkInterfaces")); err != nil {
		tb.Fatal(err)
	}
	return client("http://127.0.0.1:9", rec)
}

var nextTokenElem = regexp.MustCompile(`<nextToken>[^<]*</nextToken>`)

type recorderFunc func(*http.Request) (*http.Response, error)

func (f recorderFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// pageReplay answers Describe calls with a recorded page and a nextToken naming the next page,
// without one on the last.
type pageReplay struct {
	pages      map[string]int
	head, tail map[string][]byte
}

func (p *pageReplay) Do(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, err
	}
	action := form.Get("Action")
	head, ok := p.head[action]
	if !ok {
		return nil, fmt.Errorf("no recorded page for %q", action)
	}
	page := 1
	if t := form.Get("NextToken"); t != "" {
		page, _ = strconv.Atoi(t)
	}
	token := ""
	if page < p.pages[action] {
		token = "<nextToken>" + strconv.Itoa(page+1) + "</nextToken>"
	}
	body := io.MultiReader(bytes.NewReader(head), strings.NewReader(token), bytes.NewReader(p.tail[action]))
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/xml;charset=UTF-8"}},
		Body:          io.NopCloser(body),
		ContentLength: int64(len(head) + len(token) + len(p.tail[action])),
		Request:       r,
	}, nil
}
