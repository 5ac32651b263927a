package remote

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
)

// S3API is the part of the S3 client the plugin and vpce-snapshot call; the IAM policies in
// the README list exactly these actions (GetObject for resolvers; HeadObject, served by
// s3:GetObject too, and PutObject for the exporter).
type S3API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// NewS3Client builds the S3 client of a: the SDK configuration of the EC2 API source
// (awsapi.Config: credentials chain, region, CA bundle, proxy), with a.Endpoint, if set,
// addressed path-style, as S3-compatible stores and S3 interface endpoints' names need.
func NewS3Client(ctx context.Context, a awscfg.Account) (S3API, error) {
	cfg, err := awscfg.Load(ctx, a)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if a.Endpoint != "" {
			o.BaseEndpoint = aws.String(a.Endpoint)
			o.UsePathStyle = true
		}
		// The body is not checked against the object's stored checksum: the SDK would log a
		// warning for every 304 that carries one (no body to check), every 10 seconds. A
		// snapshot's integrity is checked as it is read: gzip's own CRC, and the parse, which
		// refuses a truncated document.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// Object splits s3://BUCKET/KEY.
func Object(u *url.URL) (bucket, key string) { return u.Host, strings.TrimPrefix(u.Path, "/") }

type s3Getter struct {
	client      S3API
	bucket, key string
}

func newS3Getter(ctx context.Context, u *url.URL, a awscfg.Account) (getter, error) {
	client, err := NewS3Client(ctx, a)
	if err != nil {
		return nil, err
	}
	bucket, key := Object(u)
	return s3Getter{client: client, bucket: bucket, key: key}, nil
}

func (g s3Getter) closeIdle() {
	if c, ok := g.client.(*s3.Client); ok {
		if hc, ok := c.Options().HTTPClient.(interface{ CloseIdleConnections() }); ok {
			hc.CloseIdleConnections()
		}
	}
}

func (g s3Getter) get(ctx context.Context, v version) (io.ReadCloser, version, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(g.bucket), Key: aws.String(g.key)}
	if v.etag != "" {
		in.IfNoneMatch = aws.String(v.etag)
	}
	out, err := g.client.GetObject(ctx, in)
	if err == nil {
		return out.Body, version{etag: aws.ToString(out.ETag)}, nil
	}
	status := statusOf(err)
	switch {
	case status == http.StatusNotModified:
		return nil, v, nil
	case status == 0:
		return nil, v, unreachableError{err}
	case status >= 500:
		return nil, v, unreachableError{answerError(status, err)}
	}
	return nil, v, answerError(status, err)
}

// statusOf is the HTTP status of S3's answer, 0 if there was none (the request was not sent,
// or no response came).
func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// answerError says what S3 answered, without the request ids that make every error's text
// unique, so that a failure that persists is logged once.
func answerError(status int, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("GetObject: HTTP %d %s %s", status, ae.ErrorCode(), ae.ErrorMessage())
	}
	return fmt.Errorf("GetObject: HTTP %d", status)
}

// PutIfChanged writes data to the object unless it already holds exactly data, so that an
// exporter run that finds nothing changed writes nothing and its readers' conditional GETs
// stay 304s. It compares the object's ETag, which is the MD5 of a single-part upload, and
// sends Content-MD5 so that S3 refuses a body damaged on the way. It reports whether it wrote.
func PutIfChanged(ctx context.Context, client S3API, bucket, key string, data []byte) (bool, error) {
	sum := md5.Sum(data)
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	switch status := statusOf(err); {
	case err == nil && strings.Trim(aws.ToString(head.ETag), `"`) == hex.EncodeToString(sum[:]):
		return false, nil
	case err != nil && status != http.StatusNotFound && status != http.StatusForbidden:
		// S3 answers a missing object with 403 to a caller without s3:ListBucket: the
		// exporter's policy need not grant it, so both mean "write it".
		return false, err
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:     aws.String(bucket),
		Key:        aws.String(key),
		Body:       bytes.NewReader(data),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	})
	return err == nil, err
}
