package index

// result is the outcome of a query for a name in the plugin's zones: what lookup finds, what
// the reply becomes, and the result label of answers_total.
type Result uint8

const (
	Answer   Result = iota // a served name: its records of the asked type (lookup: the name, whatever the type)
	Nodata                 // a served name without records of the asked type, or an authoritative zone's apex that holds none
	NXDomain               // under an authoritative private zone, but no such name
	Miss                   // not ours: the next plugin answers; not counted in answers_total
)

// NumAnswered is how many results are answers of this plugin: the values of answers_total's
// result label.
const NumAnswered = Miss

// String is the result label of answers_total.
func (r Result) String() string {
	return [...]string{"answer", "nodata", "nxdomain", "miss"}[r]
}
