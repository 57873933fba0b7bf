extension Aigw_V1_ErrorDetail {
    /// A detail carrying only a reason.
    public static func reason(_ reason: String) -> Aigw_V1_ErrorDetail {
        var d = Aigw_V1_ErrorDetail()
        d.reason = reason
        return d
    }
}
