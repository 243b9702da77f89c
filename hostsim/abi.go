package hostsim

import "strconv"

// Constants of the Proxy-Wasm ABI 0.2.x, named as in the spec
// (https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1).

// Status is the result code every host function returns to the guest.
type Status uint32

const (
	StatusOK                  Status = 0
	StatusNotFound            Status = 1
	StatusBadArgument         Status = 2
	StatusSerialization       Status = 3
	StatusParseFailure        Status = 4
	StatusInvalidMemoryAccess Status = 6
	StatusEmpty               Status = 7
	StatusCasMismatch         Status = 8
	StatusInternalFailure     Status = 10
	StatusUnimplemented       Status = 12
)

// LogLevel is a Proxy-Wasm log level.
type LogLevel uint32

const (
	LogTrace LogLevel = iota
	LogDebug
	LogInfo
	LogWarn
	LogError
	LogCritical
)

func (l LogLevel) String() string {
	switch l {
	case LogTrace:
		return "trace"
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarn:
		return "warn"
	case LogError:
		return "error"
	case LogCritical:
		return "critical"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// mapType selects a header map in the header-map host functions.
type mapType uint32

const (
	mapRequestHeaders       mapType = 0
	mapRequestTrailers      mapType = 1
	mapResponseHeaders      mapType = 2
	mapResponseTrailers     mapType = 3
	mapGrpcInitialMetadata  mapType = 4
	mapGrpcTrailingMetadata mapType = 5
	mapHTTPCallHeaders      mapType = 6
	mapHTTPCallTrailers     mapType = 7
)

// bufferType selects a buffer in the buffer host functions.
type bufferType uint32

const (
	bufRequestBody      bufferType = 0
	bufResponseBody     bufferType = 1
	bufDownstreamData   bufferType = 2
	bufUpstreamData     bufferType = 3
	bufHTTPCallResponse bufferType = 4
	bufGrpcReceive      bufferType = 5
	bufVMConfiguration  bufferType = 6
	bufPluginConfig     bufferType = 7
	bufCallData         bufferType = 8
)

// streamType selects the direction in proxy_continue_stream and
// proxy_close_stream.
type streamType uint32

const (
	streamRequest    streamType = 0
	streamResponse   streamType = 1
	streamDownstream streamType = 2
	streamUpstream   streamType = 3
)

// MetricType is the kind of a metric defined by proxy_define_metric.
type MetricType uint32

const (
	MetricCounter   MetricType = 0
	MetricGauge     MetricType = 1
	MetricHistogram MetricType = 2
)

func (t MetricType) String() string {
	switch t {
	case MetricCounter:
		return "counter"
	case MetricGauge:
		return "gauge"
	case MetricHistogram:
		return "histogram"
	}
	return "metric(" + strconv.Itoa(int(t)) + ")"
}

// action is what a stream callback returns: 0 continues the filter chain,
// anything else stops iteration until proxy_continue_stream. From a headers
// callback, 1 (StopIteration, the SDK's ActionPause) still lets the body
// through only where allow_on_headers_stop_iteration is set (see
// Host.stopsAll).
const (
	actionContinue = 0
	actionPause    = 1
)
