// What `replay transactions` finds (FORMAT.md §13.3): every transaction with its state.

public struct TransactionReport: Sendable {
    public var transactions: [TransactionState] = []
    public var now: Int64 = 0
    /// Op records whose body names no half offset that exists.
    public var danglingOpOffsets: [Int64] = []
    /// Commit records whose PREPARED TRANSACTION OFFSET names no half or prepared record.
    public var danglingCommits: [Int64] = []

    public func count(_ state: TransactionState.State, model: String? = nil) -> Int {
        transactions.filter { $0.state == state && (model == nil || $0.model == model) }.count
    }
}
