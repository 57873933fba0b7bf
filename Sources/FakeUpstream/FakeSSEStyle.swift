/// How the fake frames server-sent events, so the gateway's SSE parser can be tested on tidy and on real-world input.
public enum FakeSSEStyle: Sendable, Hashable {
    /// One event per write, `\n` line endings, no comments: what the providers send on a good day.
    case plain
    /// What real upstreams and proxies send on a bad day, deterministically so failures reproduce: CRLF line endings,
    /// `: comment` lines inside events, trailing spaces after some `data:` values, several events in one write,
    /// events split mid-way across writes (flushed apart, the first split 1 ms apart so the halves arrive in separate
    /// reads), and a `: keep-alive` comment block.
    case messy
}
