from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Endpoint(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENDPOINT_UNSPECIFIED: _ClassVar[Endpoint]
    ENDPOINT_SUMMARIZE: _ClassVar[Endpoint]
    ENDPOINT_SEARCH: _ClassVar[Endpoint]
    ENDPOINT_CHAT: _ClassVar[Endpoint]
    ENDPOINT_EMBEDDINGS: _ClassVar[Endpoint]
    ENDPOINT_TRANSLATION: _ClassVar[Endpoint]

class Provider(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROVIDER_UNSPECIFIED: _ClassVar[Provider]
    PROVIDER_OPENAI: _ClassVar[Provider]
    PROVIDER_ANTHROPIC: _ClassVar[Provider]

class Priority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRIORITY_UNSPECIFIED: _ClassVar[Priority]
    PRIORITY_CRITICAL: _ClassVar[Priority]
    PRIORITY_HIGH: _ClassVar[Priority]
    PRIORITY_NORMAL: _ClassVar[Priority]
    PRIORITY_LOW: _ClassVar[Priority]
    PRIORITY_BACKGROUND: _ClassVar[Priority]

class Period(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERIOD_UNSPECIFIED: _ClassVar[Period]
    PERIOD_DAILY: _ClassVar[Period]
    PERIOD_WEEKLY: _ClassVar[Period]
    PERIOD_MONTHLY: _ClassVar[Period]

class ErrorCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_CATEGORY_UNSPECIFIED: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_AUTHENTICATION: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_PERMISSION: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_INVALID_REQUEST: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_NOT_FOUND: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_RATE_LIMITED: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_QUOTA_EXHAUSTED: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_OVERLOADED: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_SERVER_ERROR: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_TIMEOUT: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_NETWORK: _ClassVar[ErrorCategory]
    ERROR_CATEGORY_CANCELLED: _ClassVar[ErrorCategory]
ENDPOINT_UNSPECIFIED: Endpoint
ENDPOINT_SUMMARIZE: Endpoint
ENDPOINT_SEARCH: Endpoint
ENDPOINT_CHAT: Endpoint
ENDPOINT_EMBEDDINGS: Endpoint
ENDPOINT_TRANSLATION: Endpoint
PROVIDER_UNSPECIFIED: Provider
PROVIDER_OPENAI: Provider
PROVIDER_ANTHROPIC: Provider
PRIORITY_UNSPECIFIED: Priority
PRIORITY_CRITICAL: Priority
PRIORITY_HIGH: Priority
PRIORITY_NORMAL: Priority
PRIORITY_LOW: Priority
PRIORITY_BACKGROUND: Priority
PERIOD_UNSPECIFIED: Period
PERIOD_DAILY: Period
PERIOD_WEEKLY: Period
PERIOD_MONTHLY: Period
ERROR_CATEGORY_UNSPECIFIED: ErrorCategory
ERROR_CATEGORY_AUTHENTICATION: ErrorCategory
ERROR_CATEGORY_PERMISSION: ErrorCategory
ERROR_CATEGORY_INVALID_REQUEST: ErrorCategory
ERROR_CATEGORY_NOT_FOUND: ErrorCategory
ERROR_CATEGORY_RATE_LIMITED: ErrorCategory
ERROR_CATEGORY_QUOTA_EXHAUSTED: ErrorCategory
ERROR_CATEGORY_OVERLOADED: ErrorCategory
ERROR_CATEGORY_SERVER_ERROR: ErrorCategory
ERROR_CATEGORY_TIMEOUT: ErrorCategory
ERROR_CATEGORY_NETWORK: ErrorCategory
ERROR_CATEGORY_CANCELLED: ErrorCategory

class Caller(_message.Message):
    __slots__ = ("user_id", "org_id", "endpoint")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    org_id: str
    endpoint: Endpoint
    def __init__(self, user_id: _Optional[str] = ..., org_id: _Optional[str] = ..., endpoint: _Optional[_Union[Endpoint, str]] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHE_WRITE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    def __init__(self, input_tokens: _Optional[int] = ..., cached_input_tokens: _Optional[int] = ..., cache_write_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ...) -> None: ...

class Label(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class DoubleValue(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: float
    def __init__(self, value: _Optional[float] = ...) -> None: ...

class UInt32Value(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class UInt64Value(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: int
    def __init__(self, value: _Optional[int] = ...) -> None: ...

class BoolValue(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: bool
    def __init__(self, value: _Optional[bool] = ...) -> None: ...
