// Package sdkhttp holds the HTTP client that coredns-vpce gives the AWS SDK.
package sdkhttp

import (
	"bytes"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// OwnBody wraps base so that the transport reads its own copy of each request body.
//
// smithy-go closes a request's body as soon as the response headers arrive, while net/http
// may still hold it; the transport then closes the connection under the response body and
// the call fails with "use of closed network connection" (aws/aws-sdk-go-v2#2737). The SDK's
// standard retryer retries that, but every retry is one more call against the account's EC2
// API rate limit, which every other tool in the account shares, and about 1% of calls with
// responses of some tens of KB hit it. Describe requests are small forms: the copy is cheap.
//
// base is the configuration's client. LoadDefaultConfig sets one only where a CA bundle is
// configured; nil stands for the SDK's default, which service clients would otherwise build
// themselves: a buildable client with the proxy from the environment (HTTPS_PROXY, NO_PROXY)
// and the SDK's timeouts. The buildable client is turned into a plain *http.Client with its
// transport, so that CloseIdleConnections reaches the transport; the SDK's own client hides
// it. Redirects are not followed: the EC2 API sends none.
func OwnBody(base aws.HTTPClient) aws.HTTPClient {
	if base == nil {
		base = awshttp.NewBuildableClient()
	}
	if b, ok := base.(*awshttp.BuildableClient); ok {
		base = &http.Client{
			Transport:     b.GetTransport(),
			Timeout:       b.GetTimeout(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return ownBody{base}
}

type ownBody struct{ base aws.HTTPClient }

func (c ownBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return c.base.Do(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	own := r.Clone(r.Context()) // a client must not modify the caller's request
	own.Body = io.NopCloser(bytes.NewReader(body))
	own.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return c.base.Do(own)
}

// CloseIdleConnections closes the base client's idle connections, so that a client that is
// done with leaves no connection (and no goroutine) behind.
func (c ownBody) CloseIdleConnections() {
	if closer, ok := c.base.(interface{ CloseIdleConnections() }); ok {
		closer.CloseIdleConnections()
	}
}
