from aigw.v1 import common_pb2 as _common_pb2
from aigw.v1 import gateway_pb2 as _gateway_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVING_STATUS_UNSPECIFIED: _ClassVar[ServingStatus]
    SERVING_STATUS_SERVING: _ClassVar[ServingStatus]
    SERVING_STATUS_DRAINING: _ClassVar[ServingStatus]
    SERVING_STATUS_DEGRADED: _ClassVar[ServingStatus]

class AlertSeverity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_SEVERITY_UNSPECIFIED: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_INFO: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_WARNING: _ClassVar[AlertSeverity]
    ALERT_SEVERITY_CRITICAL: _ClassVar[AlertSeverity]
SERVING_STATUS_UNSPECIFIED: ServingStatus
SERVING_STATUS_SERVING: ServingStatus
SERVING_STATUS_DRAINING: ServingStatus
SERVING_STATUS_DEGRADED: ServingStatus
ALERT_SEVERITY_UNSPECIFIED: AlertSeverity
ALERT_SEVERITY_INFO: AlertSeverity
ALERT_SEVERITY_WARNING: AlertSeverity
ALERT_SEVERITY_CRITICAL: AlertSeverity

class HealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ComponentHealth(_message.Message):
    __slots__ = ("name", "healthy", "detail")
    NAME_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    healthy: bool
    detail: str
    def __init__(self, name: _Optional[str] = ..., healthy: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class HealthResponse(_message.Message):
    __slots__ = ("status", "components")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    status: ServingStatus
    components: _containers.RepeatedCompositeFieldContainer[ComponentHealth]
    def __init__(self, status: _Optional[_Union[ServingStatus, str]] = ..., components: _Optional[_Iterable[_Union[ComponentHealth, _Mapping]]] = ...) -> None: ...

class ServerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Listener(_message.Message):
    __slots__ = ("transport", "address")
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    transport: str
    address: str
    def __init__(self, transport: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class ProviderInfo(_message.Message):
    __slots__ = ("provider", "enabled", "base_url")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    provider: _common_pb2.Provider
    enabled: bool
    base_url: str
    def __init__(self, provider: _Optional[_Union[_common_pb2.Provider, str]] = ..., enabled: _Optional[bool] = ..., base_url: _Optional[str] = ...) -> None: ...

class ServerInfoResponse(_message.Message):
    __slots__ = ("version", "protocol_version", "instance_id", "started_at_unix_ms", "uptime_ms", "listeners", "store_backend", "providers", "open_connections", "in_flight_calls", "max_frame_bytes", "max_concurrent_calls")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    UPTIME_MS_FIELD_NUMBER: _ClassVar[int]
    LISTENERS_FIELD_NUMBER: _ClassVar[int]
    STORE_BACKEND_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    OPEN_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_CALLS_FIELD_NUMBER: _ClassVar[int]
    MAX_FRAME_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_CALLS_FIELD_NUMBER: _ClassVar[int]
    version: str
    protocol_version: int
    instance_id: str
    started_at_unix_ms: int
    uptime_ms: int
    listeners: _containers.RepeatedCompositeFieldContainer[Listener]
    store_backend: str
    providers: _containers.RepeatedCompositeFieldContainer[ProviderInfo]
    open_connections: int
    in_flight_calls: int
    max_frame_bytes: int
    max_concurrent_calls: int
    def __init__(self, version: _Optional[str] = ..., protocol_version: _Optional[int] = ..., instance_id: _Optional[str] = ..., started_at_unix_ms: _Optional[int] = ..., uptime_ms: _Optional[int] = ..., listeners: _Optional[_Iterable[_Union[Listener, _Mapping]]] = ..., store_backend: _Optional[str] = ..., providers: _Optional[_Iterable[_Union[ProviderInfo, _Mapping]]] = ..., open_connections: _Optional[int] = ..., in_flight_calls: _Optional[int] = ..., max_frame_bytes: _Optional[int] = ..., max_concurrent_calls: _Optional[int] = ...) -> None: ...

class UsageTotals(_message.Message):
    __slots__ = ("key", "requests", "usage", "cost_nano_usd", "cache_hits")
    KEY_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    COST_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    key: str
    requests: int
    usage: _common_pb2.Usage
    cost_nano_usd: int
    cache_hits: int
    def __init__(self, key: _Optional[str] = ..., requests: _Optional[int] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., cost_nano_usd: _Optional[int] = ..., cache_hits: _Optional[int] = ...) -> None: ...

class GetUsageRequest(_message.Message):
    __slots__ = ("period", "date", "user_id", "org_id")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    period: _common_pb2.Period
    date: str
    user_id: str
    org_id: str
    def __init__(self, period: _Optional[_Union[_common_pb2.Period, str]] = ..., date: _Optional[str] = ..., user_id: _Optional[str] = ..., org_id: _Optional[str] = ...) -> None: ...

class GetUsageResponse(_message.Message):
    __slots__ = ("period_start", "period_end", "totals", "average_cost_per_request_nano_usd", "by_model", "by_endpoint")
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_COST_PER_REQUEST_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    BY_MODEL_FIELD_NUMBER: _ClassVar[int]
    BY_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    period_start: str
    period_end: str
    totals: UsageTotals
    average_cost_per_request_nano_usd: int
    by_model: _containers.RepeatedCompositeFieldContainer[UsageTotals]
    by_endpoint: _containers.RepeatedCompositeFieldContainer[UsageTotals]
    def __init__(self, period_start: _Optional[str] = ..., period_end: _Optional[str] = ..., totals: _Optional[_Union[UsageTotals, _Mapping]] = ..., average_cost_per_request_nano_usd: _Optional[int] = ..., by_model: _Optional[_Iterable[_Union[UsageTotals, _Mapping]]] = ..., by_endpoint: _Optional[_Iterable[_Union[UsageTotals, _Mapping]]] = ...) -> None: ...

class GetCostsRequest(_message.Message):
    __slots__ = ("start_date", "end_date", "user_id", "org_id", "top_n")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    TOP_N_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    user_id: str
    org_id: str
    top_n: int
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., user_id: _Optional[str] = ..., org_id: _Optional[str] = ..., top_n: _Optional[int] = ...) -> None: ...

class CostForecast(_message.Message):
    __slots__ = ("method", "month", "month_to_date_nano_usd", "projected_nano_usd")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    MONTH_TO_DATE_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    PROJECTED_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    method: str
    month: str
    month_to_date_nano_usd: int
    projected_nano_usd: int
    def __init__(self, method: _Optional[str] = ..., month: _Optional[str] = ..., month_to_date_nano_usd: _Optional[int] = ..., projected_nano_usd: _Optional[int] = ...) -> None: ...

class GetCostsResponse(_message.Message):
    __slots__ = ("daily", "top_users", "top_orgs", "totals", "forecast")
    DAILY_FIELD_NUMBER: _ClassVar[int]
    TOP_USERS_FIELD_NUMBER: _ClassVar[int]
    TOP_ORGS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    FORECAST_FIELD_NUMBER: _ClassVar[int]
    daily: _containers.RepeatedCompositeFieldContainer[UsageTotals]
    top_users: _containers.RepeatedCompositeFieldContainer[UsageTotals]
    top_orgs: _containers.RepeatedCompositeFieldContainer[UsageTotals]
    totals: UsageTotals
    forecast: CostForecast
    def __init__(self, daily: _Optional[_Iterable[_Union[UsageTotals, _Mapping]]] = ..., top_users: _Optional[_Iterable[_Union[UsageTotals, _Mapping]]] = ..., top_orgs: _Optional[_Iterable[_Union[UsageTotals, _Mapping]]] = ..., totals: _Optional[_Union[UsageTotals, _Mapping]] = ..., forecast: _Optional[_Union[CostForecast, _Mapping]] = ...) -> None: ...

class GetLimitsRequest(_message.Message):
    __slots__ = ("user_id", "org_id", "endpoint")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    org_id: str
    endpoint: _common_pb2.Endpoint
    def __init__(self, user_id: _Optional[str] = ..., org_id: _Optional[str] = ..., endpoint: _Optional[_Union[_common_pb2.Endpoint, str]] = ...) -> None: ...

class GetLimitsResponse(_message.Message):
    __slots__ = ("limits",)
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    limits: _containers.RepeatedCompositeFieldContainer[_gateway_pb2.LimitStatus]
    def __init__(self, limits: _Optional[_Iterable[_Union[_gateway_pb2.LimitStatus, _Mapping]]] = ...) -> None: ...

class ResetLimitsRequest(_message.Message):
    __slots__ = ("endpoint", "user_id", "org_id")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint: _common_pb2.Endpoint
    user_id: str
    org_id: str
    def __init__(self, endpoint: _Optional[_Union[_common_pb2.Endpoint, str]] = ..., user_id: _Optional[str] = ..., org_id: _Optional[str] = ...) -> None: ...

class ResetLimitsResponse(_message.Message):
    __slots__ = ("reset_count",)
    RESET_COUNT_FIELD_NUMBER: _ClassVar[int]
    reset_count: int
    def __init__(self, reset_count: _Optional[int] = ...) -> None: ...

class GetConfigRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetConfigResponse(_message.Message):
    __slots__ = ("yaml", "revision")
    YAML_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    yaml: str
    revision: int
    def __init__(self, yaml: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class UpdateConfigRequest(_message.Message):
    __slots__ = ("yaml_patch", "expected_revision", "dry_run", "changed_by")
    YAML_PATCH_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    yaml_patch: str
    expected_revision: int
    dry_run: bool
    changed_by: str
    def __init__(self, yaml_patch: _Optional[str] = ..., expected_revision: _Optional[int] = ..., dry_run: _Optional[bool] = ..., changed_by: _Optional[str] = ...) -> None: ...

class UpdateConfigResponse(_message.Message):
    __slots__ = ("yaml", "revision")
    YAML_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    yaml: str
    revision: int
    def __init__(self, yaml: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class GetConfigHistoryRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class ConfigChangeEntry(_message.Message):
    __slots__ = ("key", "old_value", "has_old_value", "new_value", "has_new_value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    OLD_VALUE_FIELD_NUMBER: _ClassVar[int]
    HAS_OLD_VALUE_FIELD_NUMBER: _ClassVar[int]
    NEW_VALUE_FIELD_NUMBER: _ClassVar[int]
    HAS_NEW_VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    old_value: str
    has_old_value: bool
    new_value: str
    has_new_value: bool
    def __init__(self, key: _Optional[str] = ..., old_value: _Optional[str] = ..., has_old_value: _Optional[bool] = ..., new_value: _Optional[str] = ..., has_new_value: _Optional[bool] = ...) -> None: ...

class ConfigChange(_message.Message):
    __slots__ = ("revision", "changed_by", "changed_at_unix_ms", "entries", "rollback_of")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    ROLLBACK_OF_FIELD_NUMBER: _ClassVar[int]
    revision: int
    changed_by: str
    changed_at_unix_ms: int
    entries: _containers.RepeatedCompositeFieldContainer[ConfigChangeEntry]
    rollback_of: int
    def __init__(self, revision: _Optional[int] = ..., changed_by: _Optional[str] = ..., changed_at_unix_ms: _Optional[int] = ..., entries: _Optional[_Iterable[_Union[ConfigChangeEntry, _Mapping]]] = ..., rollback_of: _Optional[int] = ...) -> None: ...

class GetConfigHistoryResponse(_message.Message):
    __slots__ = ("changes",)
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[ConfigChange]
    def __init__(self, changes: _Optional[_Iterable[_Union[ConfigChange, _Mapping]]] = ...) -> None: ...

class RollbackConfigRequest(_message.Message):
    __slots__ = ("expected_revision", "dry_run", "changed_by")
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    CHANGED_BY_FIELD_NUMBER: _ClassVar[int]
    expected_revision: int
    dry_run: bool
    changed_by: str
    def __init__(self, expected_revision: _Optional[int] = ..., dry_run: _Optional[bool] = ..., changed_by: _Optional[str] = ...) -> None: ...

class RollbackConfigResponse(_message.Message):
    __slots__ = ("yaml", "revision", "undone")
    YAML_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    UNDONE_FIELD_NUMBER: _ClassVar[int]
    yaml: str
    revision: int
    undone: ConfigChange
    def __init__(self, yaml: _Optional[str] = ..., revision: _Optional[int] = ..., undone: _Optional[_Union[ConfigChange, _Mapping]] = ...) -> None: ...

class BudgetAlert(_message.Message):
    __slots__ = ("id", "name", "user_id", "org_id", "limit_nano_usd", "period", "notify_at_percent", "enabled", "hard_limit", "spent_nano_usd", "reserved_nano_usd", "period_start", "period_end")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_AT_PERCENT_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    HARD_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SPENT_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    RESERVED_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    user_id: str
    org_id: str
    limit_nano_usd: int
    period: _common_pb2.Period
    notify_at_percent: _containers.RepeatedScalarFieldContainer[int]
    enabled: bool
    hard_limit: bool
    spent_nano_usd: int
    reserved_nano_usd: int
    period_start: str
    period_end: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., user_id: _Optional[str] = ..., org_id: _Optional[str] = ..., limit_nano_usd: _Optional[int] = ..., period: _Optional[_Union[_common_pb2.Period, str]] = ..., notify_at_percent: _Optional[_Iterable[int]] = ..., enabled: _Optional[bool] = ..., hard_limit: _Optional[bool] = ..., spent_nano_usd: _Optional[int] = ..., reserved_nano_usd: _Optional[int] = ..., period_start: _Optional[str] = ..., period_end: _Optional[str] = ...) -> None: ...

class CreateBudgetAlertRequest(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: BudgetAlert
    def __init__(self, alert: _Optional[_Union[BudgetAlert, _Mapping]] = ...) -> None: ...

class ListBudgetAlertsRequest(_message.Message):
    __slots__ = ("user_id", "org_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    org_id: str
    def __init__(self, user_id: _Optional[str] = ..., org_id: _Optional[str] = ...) -> None: ...

class ListBudgetAlertsResponse(_message.Message):
    __slots__ = ("alerts",)
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[BudgetAlert]
    def __init__(self, alerts: _Optional[_Iterable[_Union[BudgetAlert, _Mapping]]] = ...) -> None: ...

class UpdateBudgetAlertRequest(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: BudgetAlert
    def __init__(self, alert: _Optional[_Union[BudgetAlert, _Mapping]] = ...) -> None: ...

class DeleteBudgetAlertRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteBudgetAlertResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class PriorityDepth(_message.Message):
    __slots__ = ("priority", "depth")
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    priority: _common_pb2.Priority
    depth: int
    def __init__(self, priority: _Optional[_Union[_common_pb2.Priority, str]] = ..., depth: _Optional[int] = ...) -> None: ...

class GetQueueStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PriorityQueueStats(_message.Message):
    __slots__ = ("priority", "queued", "running", "succeeded", "failed", "dead", "retried", "average_processing_ms", "success_rate", "failure_rate")
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    DEAD_FIELD_NUMBER: _ClassVar[int]
    RETRIED_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PROCESSING_MS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_RATE_FIELD_NUMBER: _ClassVar[int]
    priority: _common_pb2.Priority
    queued: int
    running: int
    succeeded: int
    failed: int
    dead: int
    retried: int
    average_processing_ms: int
    success_rate: float
    failure_rate: float
    def __init__(self, priority: _Optional[_Union[_common_pb2.Priority, str]] = ..., queued: _Optional[int] = ..., running: _Optional[int] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., dead: _Optional[int] = ..., retried: _Optional[int] = ..., average_processing_ms: _Optional[int] = ..., success_rate: _Optional[float] = ..., failure_rate: _Optional[float] = ...) -> None: ...

class GetQueueStatsResponse(_message.Message):
    __slots__ = ("queued", "running", "succeeded", "failed", "retried", "dead", "average_processing_ms", "workers", "priorities", "success_rate", "failure_rate")
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    RETRIED_FIELD_NUMBER: _ClassVar[int]
    DEAD_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PROCESSING_MS_FIELD_NUMBER: _ClassVar[int]
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    PRIORITIES_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_RATE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_RATE_FIELD_NUMBER: _ClassVar[int]
    queued: _containers.RepeatedCompositeFieldContainer[PriorityDepth]
    running: int
    succeeded: int
    failed: int
    retried: int
    dead: int
    average_processing_ms: int
    workers: int
    priorities: _containers.RepeatedCompositeFieldContainer[PriorityQueueStats]
    success_rate: float
    failure_rate: float
    def __init__(self, queued: _Optional[_Iterable[_Union[PriorityDepth, _Mapping]]] = ..., running: _Optional[int] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., retried: _Optional[int] = ..., dead: _Optional[int] = ..., average_processing_ms: _Optional[int] = ..., workers: _Optional[int] = ..., priorities: _Optional[_Iterable[_Union[PriorityQueueStats, _Mapping]]] = ..., success_rate: _Optional[float] = ..., failure_rate: _Optional[float] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("limit", "after_job_id")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AFTER_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    limit: int
    after_job_id: str
    def __init__(self, limit: _Optional[int] = ..., after_job_id: _Optional[str] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("jobs", "next_after_job_id")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_AFTER_JOB_ID_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_gateway_pb2.Job]
    next_after_job_id: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[_gateway_pb2.Job, _Mapping]]] = ..., next_after_job_id: _Optional[str] = ...) -> None: ...

class RetryDeadLettersRequest(_message.Message):
    __slots__ = ("job_ids",)
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, job_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class RetryDeadLettersResponse(_message.Message):
    __slots__ = ("retried",)
    RETRIED_FIELD_NUMBER: _ClassVar[int]
    retried: int
    def __init__(self, retried: _Optional[int] = ...) -> None: ...

class PurgeDeadLettersRequest(_message.Message):
    __slots__ = ("job_ids",)
    JOB_IDS_FIELD_NUMBER: _ClassVar[int]
    job_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, job_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class PurgeDeadLettersResponse(_message.Message):
    __slots__ = ("purged",)
    PURGED_FIELD_NUMBER: _ClassVar[int]
    purged: int
    def __init__(self, purged: _Optional[int] = ...) -> None: ...

class CacheOperationStats(_message.Message):
    __slots__ = ("endpoint", "hits", "misses", "stores", "evictions", "errors", "bytes", "entries", "hit_rate")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    MISSES_FIELD_NUMBER: _ClassVar[int]
    STORES_FIELD_NUMBER: _ClassVar[int]
    EVICTIONS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    HIT_RATE_FIELD_NUMBER: _ClassVar[int]
    endpoint: _common_pb2.Endpoint
    hits: int
    misses: int
    stores: int
    evictions: int
    errors: int
    bytes: int
    entries: int
    hit_rate: float
    def __init__(self, endpoint: _Optional[_Union[_common_pb2.Endpoint, str]] = ..., hits: _Optional[int] = ..., misses: _Optional[int] = ..., stores: _Optional[int] = ..., evictions: _Optional[int] = ..., errors: _Optional[int] = ..., bytes: _Optional[int] = ..., entries: _Optional[int] = ..., hit_rate: _Optional[float] = ...) -> None: ...

class GetCacheStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCacheStatsResponse(_message.Message):
    __slots__ = ("operations", "backend")
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[CacheOperationStats]
    backend: str
    def __init__(self, operations: _Optional[_Iterable[_Union[CacheOperationStats, _Mapping]]] = ..., backend: _Optional[str] = ...) -> None: ...

class FlushCacheRequest(_message.Message):
    __slots__ = ("endpoint", "org_id")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint: _common_pb2.Endpoint
    org_id: str
    def __init__(self, endpoint: _Optional[_Union[_common_pb2.Endpoint, str]] = ..., org_id: _Optional[str] = ...) -> None: ...

class FlushCacheResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: int
    def __init__(self, removed: _Optional[int] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("id", "kind", "severity", "message", "subject", "raised_at_unix_ms", "details")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    RAISED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    severity: AlertSeverity
    message: str
    subject: str
    raised_at_unix_ms: int
    details: _containers.RepeatedCompositeFieldContainer[AlertDetail]
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., severity: _Optional[_Union[AlertSeverity, str]] = ..., message: _Optional[str] = ..., subject: _Optional[str] = ..., raised_at_unix_ms: _Optional[int] = ..., details: _Optional[_Iterable[_Union[AlertDetail, _Mapping]]] = ...) -> None: ...

class AlertDetail(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("limit", "since_unix_ms")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SINCE_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    limit: int
    since_unix_ms: int
    def __init__(self, limit: _Optional[int] = ..., since_unix_ms: _Optional[int] = ...) -> None: ...

class ListAlertsResponse(_message.Message):
    __slots__ = ("alerts", "active")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    active: _containers.RepeatedCompositeFieldContainer[Alert]
    def __init__(self, alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ..., active: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ...) -> None: ...

class GetLiveStatsRequest(_message.Message):
    __slots__ = ("top",)
    TOP_FIELD_NUMBER: _ClassVar[int]
    top: int
    def __init__(self, top: _Optional[int] = ...) -> None: ...

class LiveTally(_message.Message):
    __slots__ = ("name", "records", "tokens", "cost_nano_usd")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    name: str
    records: int
    tokens: int
    cost_nano_usd: int
    def __init__(self, name: _Optional[str] = ..., records: _Optional[int] = ..., tokens: _Optional[int] = ..., cost_nano_usd: _Optional[int] = ...) -> None: ...

class GetLiveStatsResponse(_message.Message):
    __slots__ = ("instance_id", "uptime_ms", "rpc_calls_total", "in_flight_calls", "completions_total", "completion_errors_total", "usage_records_total", "input_tokens_total", "output_tokens_total", "cost_nano_usd_total", "has_queue", "queue_depth", "has_cache", "cache_hits_total", "cache_misses_total", "window_seconds", "top_callers", "top_models")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    UPTIME_MS_FIELD_NUMBER: _ClassVar[int]
    RPC_CALLS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_CALLS_FIELD_NUMBER: _ClassVar[int]
    COMPLETIONS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_ERRORS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    USAGE_RECORDS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    COST_NANO_USD_TOTAL_FIELD_NUMBER: _ClassVar[int]
    HAS_QUEUE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    HAS_CACHE_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CACHE_MISSES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TOP_CALLERS_FIELD_NUMBER: _ClassVar[int]
    TOP_MODELS_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    uptime_ms: int
    rpc_calls_total: int
    in_flight_calls: int
    completions_total: int
    completion_errors_total: int
    usage_records_total: int
    input_tokens_total: int
    output_tokens_total: int
    cost_nano_usd_total: int
    has_queue: bool
    queue_depth: int
    has_cache: bool
    cache_hits_total: int
    cache_misses_total: int
    window_seconds: int
    top_callers: _containers.RepeatedCompositeFieldContainer[LiveTally]
    top_models: _containers.RepeatedCompositeFieldContainer[LiveTally]
    def __init__(self, instance_id: _Optional[str] = ..., uptime_ms: _Optional[int] = ..., rpc_calls_total: _Optional[int] = ..., in_flight_calls: _Optional[int] = ..., completions_total: _Optional[int] = ..., completion_errors_total: _Optional[int] = ..., usage_records_total: _Optional[int] = ..., input_tokens_total: _Optional[int] = ..., output_tokens_total: _Optional[int] = ..., cost_nano_usd_total: _Optional[int] = ..., has_queue: _Optional[bool] = ..., queue_depth: _Optional[int] = ..., has_cache: _Optional[bool] = ..., cache_hits_total: _Optional[int] = ..., cache_misses_total: _Optional[int] = ..., window_seconds: _Optional[int] = ..., top_callers: _Optional[_Iterable[_Union[LiveTally, _Mapping]]] = ..., top_models: _Optional[_Iterable[_Union[LiveTally, _Mapping]]] = ...) -> None: ...

class GetModelStatsRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class ModelStats(_message.Message):
    __slots__ = ("model", "requests", "errors", "error_rate", "latency_p50_ms", "latency_p95_ms", "first_token_p50_ms", "first_token_p95_ms", "output_tokens_per_second", "cost_per_request_nano_usd", "total_cost_nano_usd")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ERROR_RATE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_MS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P95_MS_FIELD_NUMBER: _ClassVar[int]
    FIRST_TOKEN_P50_MS_FIELD_NUMBER: _ClassVar[int]
    FIRST_TOKEN_P95_MS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    COST_PER_REQUEST_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_NANO_USD_FIELD_NUMBER: _ClassVar[int]
    model: str
    requests: int
    errors: int
    error_rate: float
    latency_p50_ms: float
    latency_p95_ms: float
    first_token_p50_ms: float
    first_token_p95_ms: float
    output_tokens_per_second: float
    cost_per_request_nano_usd: int
    total_cost_nano_usd: int
    def __init__(self, model: _Optional[str] = ..., requests: _Optional[int] = ..., errors: _Optional[int] = ..., error_rate: _Optional[float] = ..., latency_p50_ms: _Optional[float] = ..., latency_p95_ms: _Optional[float] = ..., first_token_p50_ms: _Optional[float] = ..., first_token_p95_ms: _Optional[float] = ..., output_tokens_per_second: _Optional[float] = ..., cost_per_request_nano_usd: _Optional[int] = ..., total_cost_nano_usd: _Optional[int] = ...) -> None: ...

class GetModelStatsResponse(_message.Message):
    __slots__ = ("models", "window_seconds", "instance_id")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelStats]
    window_seconds: int
    instance_id: str
    def __init__(self, models: _Optional[_Iterable[_Union[ModelStats, _Mapping]]] = ..., window_seconds: _Optional[int] = ..., instance_id: _Optional[str] = ...) -> None: ...
