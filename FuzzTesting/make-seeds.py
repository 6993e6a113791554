#!/usr/bin/env python3
"""Writes the seed corpora (Seeds/<target>/) from the repository's fixtures.

The seeds are real bytes written by RocketMQ: single records of every kind found in the
fixtures (IPv6, compressed, batch, transactional, delayed, V2 long topics), the first
records of commitlog files (with a blank marker where a file ends), consume queue files,
index files (with the 4-byte geometry prefix FuzzIndexFile expects), checkpoints, config
JSON, properties strings and message ids. Deterministic: re-running gives the same files.

    FuzzTesting/make-seeds.py          # from anywhere; overwrites Seeds/
"""
import hashlib, json, os, shutil, struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
SEEDS = os.path.join(HERE, "Seeds")
BLANK_MAGIC = 0xCBD43194 - (1 << 32)
MESSAGE_MAGICS = {0xDAA320A7, 0xDAA320A8}

def put(target, data, limit=None):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def stores():
    for version in sorted(os.listdir(FIXTURES)):
        if not os.path.isdir(os.path.join(FIXTURES, version)):
            continue
        for name in sorted(os.listdir(os.path.join(FIXTURES, version))):
            store = os.path.join(FIXTURES, version, name, "store")
            if os.path.isdir(store):
                yield f"{version}/{name}", store

def records(data):
    """(position, bytes, sysFlag, topic length) for each record with a sane TOTALSIZE."""
    pos = 0
    while pos + 8 <= len(data):
        size, magic = struct.unpack_from(">iI", data, pos)
        if magic not in MESSAGE_MAGICS or size < 91 or pos + size > len(data):
            return
        yield pos, data[pos:pos + size], struct.unpack_from(">i", data, pos + 36)[0]
        pos += size

def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    kinds = {}
    for label, store in stores():
        commitlog = os.path.join(store, "commitlog")
        files = sorted(os.listdir(commitlog)) if os.path.isdir(commitlog) else []
        for i, name in enumerate(files):
            data = open(os.path.join(commitlog, name), "rb").read()
            recs = list(records(data))
            for pos, rec, sysflag in recs:
                # One record per (sysFlag, magic, topic length class, properties length class).
                key = (sysflag, rec[4:8], len(rec) // 2048)
                if key not in kinds and len(rec) <= 8192:
                    kinds[key] = True
                    put("FuzzRecord", rec)
            if i < 1 and recs:
                # The head of the file (a few records) and, for full files, its tail with the blank.
                end = recs[min(len(recs), 6) - 1][0] + len(recs[min(len(recs), 6) - 1][1])
                put("FuzzCommitLogFile", data[:end] + b"\0" * 16)
                last_end = recs[-1][0] + len(recs[-1][1])
                tail_start = recs[max(0, len(recs) - 3)][0]
                if last_end + 8 <= len(data) and struct.unpack_from(">i", data, last_end + 4)[0] == BLANK_MAGIC:
                    put("FuzzCommitLogFile", data[tail_start:tail_start + 8192])
        cq_root = os.path.join(store, "consumequeue")
        count = 0
        for root, _, names in sorted(os.walk(cq_root)):
            for name in sorted(names):
                if count < 6:
                    data = open(os.path.join(root, name), "rb").read()
                    put("FuzzConsumeQueue", data.rstrip(b"\0") + b"\0" * 20 if len(data) > 4096 else data)
                    count += 1
        index_root = os.path.join(store, "index")
        if os.path.isdir(index_root):
            for name in sorted(os.listdir(index_root))[:2]:
                data = open(os.path.join(index_root, name), "rb").read()
                slots = (len(data) - 40) // 84
                if 40 + 84 * slots == len(data) and slots < 1024:
                    put("FuzzIndexFile", struct.pack(">HH", slots - 1, 4 * slots - 2) + data)
        checkpoint = os.path.join(store, "checkpoint")
        if os.path.isfile(checkpoint):
            put("FuzzCheckpoint", open(checkpoint, "rb").read()[:64])
        config = os.path.join(store, "config")
        if os.path.isdir(config):
            for name in sorted(os.listdir(config)):
                put("FuzzConfigJSON", open(os.path.join(config, name), "rb").read())
    # Record contents for the string-level targets: properties and offset message ids.
    for label, store in stores():
        expected = os.path.join(store, "..", "expected", "messages.ndjson")
        if not os.path.isfile(expected):
            continue
        seen = 0
        for line in open(expected, encoding="utf-8"):
            msg = json.loads(line)
            if msg.get("type") != "msg" or seen >= 4:
                continue
            seen += 1
            if "propertiesRaw" in msg:
                put("FuzzProperties", msg["propertiesRaw"].encode("utf-8"))
            if "offsetMsgId" in msg:
                put("FuzzMessageId", msg["offsetMsgId"].encode("ascii"))
            if "storeHost" in msg:
                put("FuzzMessageId", msg["storeHost"].encode("ascii"))
    # Config files in the shapes the broker writes (only delayOffset.json occurs in the fixtures).
    for text in [
        '{\n\t"offsetTable":{\n\t\t"TopicA@GroupA":{0:12,1:7\n\t\t}\n\t}\n}',
        '{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{"TopicA":{"order":false,'
        '"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicA","topicSysFlag":0,'
        '"writeQueueNums":4,"attributes":{"+queue.type":"SimpleCQ"}}}}',
        '{"subscriptionGroupTable":{"GroupA":{"groupName":"GroupA","consumeEnable":true}},'
        '"dataVersion":{"counter":1,"timestamp":1700000000000}}',
        "{'offsetTable':{1:20,2:-1.5e3,},}",
        '{"lmqOffsetTable":{"%LMQ%x@g":5},"offsetTable":{}}',
    ]:
        put("FuzzConfigJSON", text.encode("utf-8"))
    # Bodies: a zlib stream from a compressed fixture record if present, plus tiny hand-made ones.
    import zlib
    for type_byte, body in [(0, zlib.compress(b"hello rocketmq" * 20)), (2, zlib.compress(b"x" * 300)),
                            (1, bytes.fromhex("f00568656c6c6f")), (3, bytes.fromhex("28b52ffd2005290000") + b"hello")]:
        put("FuzzBodyDecompression", bytes([type_byte, 16]) + body)
    for target in sorted(os.listdir(SEEDS)):
        files = os.listdir(os.path.join(SEEDS, target))
        size = sum(os.path.getsize(os.path.join(SEEDS, target, f)) for f in files)
        print(f"{target:24} {len(files):4} seeds {size:8} bytes")

if __name__ == "__main__":
    main()
