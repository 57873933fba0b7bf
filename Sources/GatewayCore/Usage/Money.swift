/// Dollars as people write them and nano-dollars as aigw counts them, converted with integer arithmetic only.
public enum Money {
    /// Exact dollars with six decimals at least and no trailing zeros beyond them: 450_000 → `$0.000450`,
    /// 1_500_000_000 → `$1.500000`.
    public static func dollars(_ nanos: Int64) -> String {
        let sign = nanos < 0 ? "-" : ""
        let magnitude = nanos.magnitude
        var fraction = String(magnitude % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.count > 6 && fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)$\(magnitude / 1_000_000_000).\(fraction)"
    }

    /// Parses `12`, `12.5`, `$0.000450` (up to nine decimals) into nano-dollars; nil for anything else, negatives
    /// and amounts that do not fit.
    public static func nanos(fromDollars text: String) -> Int64? {
        var s = Substring(text)
        if s.hasPrefix("$") { s = s.dropFirst() }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2,
            whole.allSatisfy(\.isASCII), whole.allSatisfy(\.isNumber)
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 9, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber),
            !(whole.isEmpty && fraction.isEmpty)
        else { return nil }
        let padded = fraction + String(repeating: "0", count: 9 - fraction.count)
        guard let units = Int64(whole.isEmpty ? "0" : whole), let nanos = Int64(padded) else { return nil }
        let (scaled, overflow) = units.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (sum, overflow2) = scaled.addingReportingOverflow(nanos)
        return overflow2 ? nil : sum
    }
}
