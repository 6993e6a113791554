// A put refusal carried through `Result` inside the commitlog's put path.

struct PutMessageResultError: Error {
    var result: PutMessageResult
    init(_ status: PutMessageStatus, _ reason: String) { result = .refused(status, reason) }
}
