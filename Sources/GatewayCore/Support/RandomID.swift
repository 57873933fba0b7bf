/// Random identifiers for things aigw creates (budgets, alerts, reservations): 64 or more random bits in lowercase
/// hex, unique enough across instances without coordination.
public enum RandomID {
    public static func hex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var out = ""
        out.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return out
    }

    private static let hexDigits = Array("0123456789abcdef")
}
