package awsapi

import (
	"context"
	"errors"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The EC2 API source's metrics. Labels are bounded: account by the Corefile's roles and
// profiles, region by AWS's regions, result by the code, operation and code by the EC2 API's
// actions and error codes.
var (
	refreshes = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: "vpce", Name: "refreshes_total",
		Help: "Refreshes from the EC2 API, by account, region and result (changed, unchanged, failed).",
	}, []string{"account", "region", "result"})
	refreshDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: plugin.Namespace, Subsystem: "vpce", Name: "refresh_duration_seconds",
		Help:    "Time a refresh from the EC2 API took, every page of every call, by account and region.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
	}, []string{"account", "region"})
	lastSuccess = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: plugin.Namespace, Subsystem: "vpce", Name: "last_success_timestamp_seconds",
		Help: "When a refresh from the EC2 API last succeeded, by account and region.",
	}, []string{"account", "region"})
	apiRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: plugin.Namespace, Subsystem: "vpce", Name: "api_requests_total",
		Help: "EC2 API requests, retries included, by operation and error code (OK on success).",
	}, []string{"operation", "code"})
)

// countRequests adds a step that counts every request attempt (retries included) by operation
// and outcome, for api_requests_total. It wraps the operation's deserializer, which turns an
// error response into the API error; the retry loop runs outside the deserialize step.
func countRequests(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("vpceRequestMetrics",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			apiRequests.WithLabelValues(awsmiddleware.GetOperationName(ctx), errorCode(err)).Inc()
			return out, md, err
		}), middleware.Before)
}

// errorCode names an API call's outcome: OK, the API's error code, or the kind of failure.
func errorCode(err error) string {
	var ae smithy.APIError
	var de *smithy.DeserializationError
	switch {
	case err == nil:
		return "OK"
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "Timeout"
	case errors.As(err, &de):
		return "MalformedResponse"
	}
	return "NetworkError"
}
