// Package awsregion names AWS's regions: the region labels of the vpce plugin's metrics (an
// index's endpoints by region, the gap report) are these names or "other", so that what an
// account holds or a client asks cannot grow them.
package awsregion

// Names are AWS's regions, in every partition: the regions of the AWS SDK's endpoint rules
// (TestNamesAreTheSDKs tells when an SDK update brings a new one).
var Names = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-northeast-1",
	"ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1",
	"eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2",
	"eu-north-1", "il-central-1", "me-south-1", "me-central-1", "me-west-1", "mx-central-1",
	"sa-east-1", "sa-west-1", "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
	"eusc-de-east-1", "us-iso-east-1", "us-iso-west-1", "us-isob-east-1", "us-isob-west-1",
	"eu-isoe-west-1", "us-isof-east-1", "us-isof-south-1",
}

// positions finds a name's index in Names.
var positions = func() map[string]int {
	m := make(map[string]int, len(Names))
	for i, n := range Names {
		m[n] = i
	}
	return m
}()

// Index is the position of name in Names, if it is a region. name is a byte slice so that the
// query path can look up a label of a question's name without copying it.
func Index(name []byte) (int, bool) {
	i, ok := positions[string(name)]
	return i, ok
}
