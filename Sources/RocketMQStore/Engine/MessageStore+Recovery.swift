// `DefaultMessageStore.recover` (FORMAT.md §11.1–§11.5).

import RocketMQFormat

extension MessageStore {
    func recover(lastExitOK: Bool) throws(StoreError) {
        // 1. consume queues.
        var maxPhyOffsetOfConsumeQueue: Int64 = -1
        for queue in dispatcher.consumeQueues {
            queue.recover()
            maxPhyOffsetOfConsumeQueue = max(maxPhyOffsetOfConsumeQueue, queue.maxPhysicOffset)
        }
        recovery.maxPhyOffsetOfConsumeQueue = maxPhyOffsetOfConsumeQueue

        // 2. commitlog.
        let processOffset: Int64?
        if lastExitOK {
            processOffset = commitLog.recoverNormally(checkCRC: config.checkCRCOnRecover)
        } else {
            let stamps = checkpoint.value
            let minTimestamp = config.messageIndexEnable && config.messageIndexSafe ? stamps.minTimestampIndex : stamps.minTimestamp
            var redispatched = 0
            var dispatchError: StoreError?
            processOffset = commitLog.recoverAbnormally(checkCRC: config.checkCRCOnRecover, minTimestamp: minTimestamp) { view in
                guard dispatchError == nil else { return }
                do throws(StoreError) { try dispatcher.dispatch(view) } catch { dispatchError = error }
                redispatched += 1
            }
            if let dispatchError { throw dispatchError }
            recovery.redispatchedRecords = redispatched
        }
        recovery.processOffset = processOffset
        if let processOffset {
            commitLog.queue.flushedWhere = processOffset
            commitLog.queue.truncateDirtyFiles(processOffset)
            if maxPhyOffsetOfConsumeQueue >= processOffset {
                for queue in dispatcher.consumeQueues { queue.truncateDirtyLogicFiles(processOffset) }
            }
        } else {
            commitLog.queue.flushedWhere = 0
            // No commitlog at all: every consume queue file goes (`destroyLogics`).
            for queue in dispatcher.consumeQueues {
                for file in queue.queue.mappedFiles { file.destroy() }
                queue.queue.truncateDirtyFiles(-1)
            }
        }
        // 3. topic-queue table.
        recoverTopicQueueTable()
    }

    /// `recoverTopicQueueTable`: next queue offset per queue = its max offset; then
    /// correctMinOffset against the commitlog's min offset.
    func recoverTopicQueueTable() {
        var table: [TopicQueueKey: Int64] = [:]
        let minPhyOffset = commitLog.minOffset
        for queue in dispatcher.consumeQueues {
            table[TopicQueueKey(topic: queue.topic, queueId: queue.queueId)] = queue.maxOffsetInQueue
            queue.correctMinOffset(minPhyOffset)
        }
        commitLog.setTopicQueueTable(table)
    }
}
