// The `rmqstore` command: argument parsing and printing only; the work is in RocketMQTools.

import ArgumentParser
import RocketMQTools

@main
struct Rmqstore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rmqstore",
        abstract: "Look inside, verify and repair Apache RocketMQ broker store directories.",
        discussion: """
            STORE is the store root: the directory that holds commitlog/ (and consumequeue/, index/, \
            checkpoint, abort, lock, config/). Every command is read-only unless it says otherwise.

            Exit status: 0 clean; 1 findings; 64 usage error (including a path that is not a store); \
            65 unrecoverable or undecodable data; 74 I/O error; 75 the store is locked by a live broker.
            """,
        version: "0.1.0",
        subcommands: [
            Dump.self, Stat.self, Verify.self,
            Put.self, Get.self, Query.self,
            Preview.self, Recover.self, Rebuild.self, Salvage.self, Undo.self,
            Replay.self,
        ]
    )
}
