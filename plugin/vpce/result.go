package vpce

// result is the outcome of a query for a name in the plugin's zones: what lookup finds, what
// the reply becomes, and the result label of answers_total.
type result uint8

const (
	resultAnswer   result = iota // a served name: its records of the asked type (lookup: the name, whatever the type)
	resultNodata                 // a served name without records of the asked type, or an authoritative zone's apex that holds none
	resultNXDomain               // under an authoritative private zone, but no such name
	resultMiss                   // not ours: the next plugin answers; not counted in answers_total
)

// numAnswered is how many results are answers of this plugin: the values of answers_total's
// result label.
const numAnswered = resultMiss

// String is the result label of answers_total.
func (r result) String() string {
	return [...]string{"answer", "nodata", "nxdomain", "miss"}[r]
}
