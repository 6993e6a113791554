// The writable `checkpoint` file (`StoreCheckpoint`, FORMAT.md §9): one mapped page whose
// three 4.9.8 longs are kept in memory and written + forced on `flush`.

import RocketMQFormat
import Synchronization

public final class CheckpointFile: @unchecked Sendable {
    public let path: String
    private let file: MappedFile
    private let physic = Atomic<Int64>(0)
    private let logics = Atomic<Int64>(0)
    private let index = Atomic<Int64>(0)
    private let flushLock = Locked<Void>(())

    /// Opens the store's checkpoint, creating a zeroed one when it is missing.
    public init(storeRoot: String) throws(StoreError) {
        path = storeRoot + "/checkpoint"
        file = try MappedFile(path: path, fileFromOffset: 0, fileSize: StoreCheckpoint.fileSize, create: true)
        let decoded = (try? StoreCheckpoint(decoding: file.readableBytes)) ?? StoreCheckpoint()
        physic.store(decoded.physicMsgTimestamp, ordering: .relaxed)
        logics.store(decoded.logicsMsgTimestamp, ordering: .relaxed)
        index.store(decoded.indexMsgTimestamp, ordering: .relaxed)
    }

    public var physicMsgTimestamp: Int64 {
        get { physic.load(ordering: .relaxed) }
        set { physic.store(newValue, ordering: .relaxed) }
    }
    public var logicsMsgTimestamp: Int64 {
        get { logics.load(ordering: .relaxed) }
        set { logics.store(newValue, ordering: .relaxed) }
    }
    public var indexMsgTimestamp: Int64 {
        get { index.load(ordering: .relaxed) }
        set { index.store(newValue, ordering: .relaxed) }
    }

    public var value: StoreCheckpoint {
        StoreCheckpoint(physicMsgTimestamp: physicMsgTimestamp, logicsMsgTimestamp: logicsMsgTimestamp,
                        indexMsgTimestamp: indexMsgTimestamp)
    }

    /// `StoreCheckpoint.flush`: writes the three longs at 0, 8, 16 and forces the page.
    public func flush() {
        flushLock.withLock { _ in
            let bytes = file.bytes
            bytes.storeBytes(of: physicMsgTimestamp.bigEndian, toByteOffset: 0, as: Int64.self)
            bytes.storeBytes(of: logicsMsgTimestamp.bigEndian, toByteOffset: 8, as: Int64.self)
            bytes.storeBytes(of: indexMsgTimestamp.bigEndian, toByteOffset: 16, as: Int64.self)
            file.forceAll()
        }
    }

    public func shutdown() {
        flush()
        file.unmap()
    }
}
