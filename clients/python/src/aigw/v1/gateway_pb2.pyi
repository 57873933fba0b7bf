from aigw.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_SYSTEM: _ClassVar[Role]
    ROLE_USER: _ClassVar[Role]
    ROLE_ASSISTANT: _ClassVar[Role]
    ROLE_TOOL: _ClassVar[Role]

class ResponseFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESPONSE_FORMAT_UNSPECIFIED: _ClassVar[ResponseFormat]
    RESPONSE_FORMAT_TEXT: _ClassVar[ResponseFormat]
    RESPONSE_FORMAT_JSON_OBJECT: _ClassVar[ResponseFormat]

class FinishReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINISH_REASON_UNSPECIFIED: _ClassVar[FinishReason]
    FINISH_REASON_STOP: _ClassVar[FinishReason]
    FINISH_REASON_LENGTH: _ClassVar[FinishReason]
    FINISH_REASON_CONTENT_FILTER: _ClassVar[FinishReason]
    FINISH_REASON_TOOL_CALLS: _ClassVar[FinishReason]
    FINISH_REASON_CANCELLED: _ClassVar[FinishReason]

class LimitLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIMIT_LEVEL_UNSPECIFIED: _ClassVar[LimitLevel]
    LIMIT_LEVEL_USER: _ClassVar[LimitLevel]
    LIMIT_LEVEL_ORG: _ClassVar[LimitLevel]
    LIMIT_LEVEL_ENDPOINT: _ClassVar[LimitLevel]

class LimitAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIMIT_ALGORITHM_UNSPECIFIED: _ClassVar[LimitAlgorithm]
    LIMIT_ALGORITHM_TOKEN_BUCKET: _ClassVar[LimitAlgorithm]
    LIMIT_ALGORITHM_SLIDING_WINDOW: _ClassVar[LimitAlgorithm]

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_RETRYING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_DEAD: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
ROLE_UNSPECIFIED: Role
ROLE_SYSTEM: Role
ROLE_USER: Role
ROLE_ASSISTANT: Role
ROLE_TOOL: Role
RESPONSE_FORMAT_UNSPECIFIED: ResponseFormat
RESPONSE_FORMAT_TEXT: ResponseFormat
RESPONSE_FORMAT_JSON_OBJECT: ResponseFormat
FINISH_REASON_UNSPECIFIED: FinishReason
FINISH_REASON_STOP: FinishReason
FINISH_REASON_LENGTH: FinishReason
FINISH_REASON_CONTENT_FILTER: FinishReason
FINISH_REASON_TOOL_CALLS: FinishReason
FINISH_REASON_CANCELLED: FinishReason
LIMIT_LEVEL_UNSPECIFIED: LimitLevel
LIMIT_LEVEL_USER: LimitLevel
LIMIT_LEVEL_ORG: LimitLevel
LIMIT_LEVEL_ENDPOINT: LimitLevel
LIMIT_ALGORITHM_UNSPECIFIED: LimitAlgorithm
LIMIT_ALGORITHM_TOKEN_BUCKET: LimitAlgorithm
LIMIT_ALGORITHM_SLIDING_WINDOW: LimitAlgorithm
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_RETRYING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_DEAD: JobState
JOB_STATE_CANCELLED: JobState
JOB_STATE_FAILED: JobState

class ChatMessage(_message.Message):
    __slots__ = ("role", "content", "name")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    role: Role
    content: str
    name: str
    def __init__(self, role: _Optional[_Union[Role, str]] = ..., content: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class CacheControl(_message.Message):
    __slots__ = ("bypass", "no_store", "ttl_seconds")
    BYPASS_FIELD_NUMBER: _ClassVar[int]
    NO_STORE_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    bypass: bool
    no_store: bool
    ttl_seconds: _common_pb2.UInt32Value
    def __init__(self, bypass: _Optional[bool] = ..., no_store: _Optional[bool] = ..., ttl_seconds: _Optional[_Union[_common_pb2.UInt32Value, _Mapping]] = ...) -> None: ...

class CompleteRequest(_message.Message):
    __slots__ = ("request_id", "caller", "provider", "model", "fallback_models", "system_prompt", "messages", "temperature", "top_p", "max_tokens", "stop", "response_format", "cache", "metadata", "allow_cross_provider_fallback")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_MODELS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_PROMPT_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ALLOW_CROSS_PROVIDER_FALLBACK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    caller: _common_pb2.Caller
    provider: _common_pb2.Provider
    model: str
    fallback_models: _containers.RepeatedScalarFieldContainer[str]
    system_prompt: str
    messages: _containers.RepeatedCompositeFieldContainer[ChatMessage]
    temperature: _common_pb2.DoubleValue
    top_p: _common_pb2.DoubleValue
    max_tokens: _common_pb2.UInt32Value
    stop: _containers.RepeatedScalarFieldContainer[str]
    response_format: ResponseFormat
    cache: CacheControl
    metadata: _containers.RepeatedCompositeFieldContainer[_common_pb2.Label]
    allow_cross_provider_fallback: bool
    def __init__(self, request_id: _Optional[str] = ..., caller: _Optional[_Union[_common_pb2.Caller, _Mapping]] = ..., provider: _Optional[_Union[_common_pb2.Provider, str]] = ..., model: _Optional[str] = ..., fallback_models: _Optional[_Iterable[str]] = ..., system_prompt: _Optional[str] = ..., messages: _Optional[_Iterable[_Union[ChatMessage, _Mapping]]] = ..., temperature: _Optional[_Union[_common_pb2.DoubleValue, _Mapping]] = ..., top_p: _Optional[_Union[_common_pb2.DoubleValue, _Mapping]] = ..., max_tokens: _Optional[_Union[_common_pb2.UInt32Value, _Mapping]] = ..., stop: _Optional[_Iterable[str]] = ..., response_format: _Optional[_Union[ResponseFormat, str]] = ..., cache: _Optional[_Union[CacheControl, _Mapping]] = ..., metadata: _Optional[_Iterable[_Union[_common_pb2.Label, _Mapping]]] = ..., allow_cross_provider_fallback: _Optional[bool] = ...) -> None: ...

class Attempt(_message.Message):
    __slots__ = ("provider", "model", "status_code", "error_category", "error_message", "latency_ms")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    provider: _common_pb2.Provider
    model: str
    status_code: int
    error_category: _common_pb2.ErrorCategory
    error_message: str
    latency_ms: int
    def __init__(self, provider: _Optional[_Union[_common_pb2.Provider, str]] = ..., model: _Optional[str] = ..., status_code: _Optional[int] = ..., error_category: _Optional[_Union[_common_pb2.ErrorCategory, str]] = ..., error_message: _Optional[str] = ..., latency_ms: _Optional[int] = ...) -> None: ...

class CompleteResponse(_message.Message):
    __slots__ = ("request_id", "id", "provider", "model", "content", "finish_reason", "usage", "cost_nano_usd", "cache_hit", "fallback_used", "attempts", "latency_ms")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    COST_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_USED_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    id: str
    provider: _common_pb2.Provider
    model: str
    content: str
    finish_reason: FinishReason
    usage: _common_pb2.Usage
    cost_nano_usd: int
    cache_hit: bool
    fallback_used: bool
    attempts: _containers.RepeatedCompositeFieldContainer[Attempt]
    latency_ms: int
    def __init__(self, request_id: _Optional[str] = ..., id: _Optional[str] = ..., provider: _Optional[_Union[_common_pb2.Provider, str]] = ..., model: _Optional[str] = ..., content: _Optional[str] = ..., finish_reason: _Optional[_Union[FinishReason, str]] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., cost_nano_usd: _Optional[int] = ..., cache_hit: _Optional[bool] = ..., fallback_used: _Optional[bool] = ..., attempts: _Optional[_Iterable[_Union[Attempt, _Mapping]]] = ..., latency_ms: _Optional[int] = ...) -> None: ...

class StreamStart(_message.Message):
    __slots__ = ("request_id", "provider", "model", "cache_hit")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    provider: _common_pb2.Provider
    model: str
    cache_hit: bool
    def __init__(self, request_id: _Optional[str] = ..., provider: _Optional[_Union[_common_pb2.Provider, str]] = ..., model: _Optional[str] = ..., cache_hit: _Optional[bool] = ...) -> None: ...

class TextDelta(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class StreamEnd(_message.Message):
    __slots__ = ("finish_reason", "usage", "cost_nano_usd", "id", "attempts")
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    COST_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    finish_reason: FinishReason
    usage: _common_pb2.Usage
    cost_nano_usd: int
    id: str
    attempts: _containers.RepeatedCompositeFieldContainer[Attempt]
    def __init__(self, finish_reason: _Optional[_Union[FinishReason, str]] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., cost_nano_usd: _Optional[int] = ..., id: _Optional[str] = ..., attempts: _Optional[_Iterable[_Union[Attempt, _Mapping]]] = ...) -> None: ...

class StreamEvent(_message.Message):
    __slots__ = ("start", "delta", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: StreamStart
    delta: TextDelta
    end: StreamEnd
    def __init__(self, start: _Optional[_Union[StreamStart, _Mapping]] = ..., delta: _Optional[_Union[TextDelta, _Mapping]] = ..., end: _Optional[_Union[StreamEnd, _Mapping]] = ...) -> None: ...

class CheckLimitRequest(_message.Message):
    __slots__ = ("caller", "cost", "peek")
    CALLER_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    PEEK_FIELD_NUMBER: _ClassVar[int]
    caller: _common_pb2.Caller
    cost: int
    peek: bool
    def __init__(self, caller: _Optional[_Union[_common_pb2.Caller, _Mapping]] = ..., cost: _Optional[int] = ..., peek: _Optional[bool] = ...) -> None: ...

class LimitStatus(_message.Message):
    __slots__ = ("level", "subject", "endpoint", "algorithm", "limit", "remaining", "window_ms", "burst", "reset_at_unix_ms", "shadow")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    WINDOW_MS_FIELD_NUMBER: _ClassVar[int]
    BURST_FIELD_NUMBER: _ClassVar[int]
    RESET_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    SHADOW_FIELD_NUMBER: _ClassVar[int]
    level: LimitLevel
    subject: str
    endpoint: _common_pb2.Endpoint
    algorithm: LimitAlgorithm
    limit: int
    remaining: int
    window_ms: int
    burst: int
    reset_at_unix_ms: int
    shadow: bool
    def __init__(self, level: _Optional[_Union[LimitLevel, str]] = ..., subject: _Optional[str] = ..., endpoint: _Optional[_Union[_common_pb2.Endpoint, str]] = ..., algorithm: _Optional[_Union[LimitAlgorithm, str]] = ..., limit: _Optional[int] = ..., remaining: _Optional[int] = ..., window_ms: _Optional[int] = ..., burst: _Optional[int] = ..., reset_at_unix_ms: _Optional[int] = ..., shadow: _Optional[bool] = ...) -> None: ...

class CheckLimitResponse(_message.Message):
    __slots__ = ("allowed", "limit", "remaining", "reset_at_unix_ms", "retry_after_ms", "denied_by", "shadow_denied", "levels", "degraded")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    RESET_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_MS_FIELD_NUMBER: _ClassVar[int]
    DENIED_BY_FIELD_NUMBER: _ClassVar[int]
    SHADOW_DENIED_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    limit: int
    remaining: int
    reset_at_unix_ms: int
    retry_after_ms: int
    denied_by: LimitLevel
    shadow_denied: bool
    levels: _containers.RepeatedCompositeFieldContainer[LimitStatus]
    degraded: bool
    def __init__(self, allowed: _Optional[bool] = ..., limit: _Optional[int] = ..., remaining: _Optional[int] = ..., reset_at_unix_ms: _Optional[int] = ..., retry_after_ms: _Optional[int] = ..., denied_by: _Optional[_Union[LimitLevel, str]] = ..., shadow_denied: _Optional[bool] = ..., levels: _Optional[_Iterable[_Union[LimitStatus, _Mapping]]] = ..., degraded: _Optional[bool] = ...) -> None: ...

class TrackUsageRequest(_message.Message):
    __slots__ = ("request_id", "caller", "provider", "model", "usage", "occurred_at_unix_ms", "cache_hit")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    caller: _common_pb2.Caller
    provider: _common_pb2.Provider
    model: str
    usage: _common_pb2.Usage
    occurred_at_unix_ms: int
    cache_hit: bool
    def __init__(self, request_id: _Optional[str] = ..., caller: _Optional[_Union[_common_pb2.Caller, _Mapping]] = ..., provider: _Optional[_Union[_common_pb2.Provider, str]] = ..., model: _Optional[str] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., occurred_at_unix_ms: _Optional[int] = ..., cache_hit: _Optional[bool] = ...) -> None: ...

class TrackUsageResponse(_message.Message):
    __slots__ = ("cost_nano_usd", "duplicate", "unpriced")
    COST_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    UNPRICED_FIELD_NUMBER: _ClassVar[int]
    cost_nano_usd: int
    duplicate: bool
    unpriced: bool
    def __init__(self, cost_nano_usd: _Optional[int] = ..., duplicate: _Optional[bool] = ..., unpriced: _Optional[bool] = ...) -> None: ...

class EnqueueRequest(_message.Message):
    __slots__ = ("request", "priority", "max_attempts", "timeout_ms", "idempotency_key")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    request: CompleteRequest
    priority: _common_pb2.Priority
    max_attempts: int
    timeout_ms: int
    idempotency_key: str
    def __init__(self, request: _Optional[_Union[CompleteRequest, _Mapping]] = ..., priority: _Optional[_Union[_common_pb2.Priority, str]] = ..., max_attempts: _Optional[int] = ..., timeout_ms: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class EnqueueResponse(_message.Message):
    __slots__ = ("job_id", "state", "duplicate")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: JobState
    duplicate: bool
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("job_id", "priority", "state", "attempts", "max_attempts", "last_error", "created_at_unix_ms", "updated_at_unix_ms", "caller", "result")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    priority: _common_pb2.Priority
    state: JobState
    attempts: int
    max_attempts: int
    last_error: str
    created_at_unix_ms: int
    updated_at_unix_ms: int
    caller: _common_pb2.Caller
    result: CompleteResponse
    def __init__(self, job_id: _Optional[str] = ..., priority: _Optional[_Union[_common_pb2.Priority, str]] = ..., state: _Optional[_Union[JobState, str]] = ..., attempts: _Optional[int] = ..., max_attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., created_at_unix_ms: _Optional[int] = ..., updated_at_unix_ms: _Optional[int] = ..., caller: _Optional[_Union[_common_pb2.Caller, _Mapping]] = ..., result: _Optional[_Union[CompleteResponse, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id", "wait_ms")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    wait_ms: int
    def __init__(self, job_id: _Optional[str] = ..., wait_ms: _Optional[int] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...
