// A few read-only maps kept open for random reads (queue units, then the records they point
// at), least recently used first out, so a reader's memory does not grow with the store.

final class MappedRegionCache {
    private let capacity: Int
    /// Most recently used last.
    private var regions: [MappedRegion] = []

    init(capacity: Int = 8) { self.capacity = max(1, capacity) }

    /// The map of `path`, mapped (read-only, random access) on first use.
    func region(_ path: String) throws(StoreError) -> MappedRegion {
        if let index = regions.lastIndex(where: { $0.path == path }) {
            let region = regions.remove(at: index)
            regions.append(region)
            return region
        }
        let region = try MappedRegion(path: path, sequential: false)
        if regions.count >= capacity { regions.removeFirst() }
        regions.append(region)
        return region
    }
}
