import Foundation
import GRDB
import PkgfsModel

/// Synthetic catalogs for benchmarks and tests (`pkgfs generate`): fills the `package` table
/// with realistic rows without uploading anything.
///
/// What is realistic: OCP-like families (`oceanbase-ce`, `t-oceanbase-ocp-agent`, `obproxy-ce`,
/// `ob-backup-agent`, ...) and generic names, file names by the OCP convention
/// `<name>-<version>-<buildNumber>.<os>.<arch>.<ext>`, `type` from the store's own type rules,
/// OSes `el7`/`el8`/`alios7`/`ubuntu20`/..., arches `x86_64`/`aarch64`/`noarch`, build numbers
/// that are upload-time stamps (`20210812221645`), upload times spread from 2019 to now in
/// increasing order, log-normal sizes, random SHA-1/SHA-256, mostly `available` (about 2 %
/// `corrupt`, 0.5 % `incomplete`, with their `packageStateDetails`).
///
/// What is not: no blobs are written, so the original file of a generated package cannot be
/// read (opening it fails with EIO) and `pkgfs check` reports every generated blob missing.
/// No receipts are added (`incoming/` stays as it was).
///
/// The same seed on an empty store gives the same catalog, except for the upload-time range,
/// which ends at the time of the run.
extension Repository {
    /// Inserts `count` synthetic packages, `batchSize` rows per transaction, calling `progress`
    /// (inserted so far, count) after each transaction. Holds the catalog's writer throughout.
    /// Rows that would collide with an existing package (same file name or tree location) are
    /// skipped and replaced by new ones; throws if that keeps happening.
    public func generateSyntheticPackages(count: Int, seed: UInt64 = 1, batchSize: Int = 10_000,
                                          progress: (Int, Int) -> Void = { _, _ in }) throws {
        guard count > 0 else { return }
        let batchSize = max(1, batchSize)
        // Upload times: increasing, at least one second apart (so build numbers, which are
        // upload-time stamps, never repeat), after whatever the store already holds.
        let existingLatest = try catalog.read { db in
            try Double.fetchOne(db, sql: "SELECT MAX(createdAt) FROM package")
        }
        let epoch2019 = 1_546_300_800.0
        let start = max(epoch2019, (existingLatest ?? 0).rounded(.down) + 1)
        let span = max(Date().timeIntervalSince1970 - start, Double(count))
        let step = max(1.0, (span / Double(count)).rounded(.down))

        let producer = RowProducer(SyntheticPackages(seed: seed, typeRules: typeRules, start: start, step: step))
        var inserted = 0
        var skipped = 0
        do {
            try catalog.pool.writeWithoutTransaction { db in
                // A bigger page cache for the writer while it fills the indexes (this connection only).
                try db.execute(sql: "PRAGMA cache_size = -262144")
                defer { try? db.execute(sql: "PRAGMA cache_size = -2000") }
                var pending = try producer.produce(min(batchSize, count))
                var produced = pending.count
                // One prepared INSERT for every row; per row only the values are bound.
                let insert = try db.makeStatement(sql: PackageRecord.insertSQL)
                while !pending.isEmpty {
                    // Make the next batch on another thread while this one is inserted.
                    let ahead = min(batchSize, count - produced)
                    let group = DispatchGroup()
                    if ahead > 0 {
                        DispatchQueue.global().async(group: group) { producer.produceAhead(ahead) }
                    }
                    defer { group.wait() }
                    try db.inTransaction {
                        for row in pending {
                            do {
                                try insert.execute(arguments: row.arguments)
                                inserted += 1
                            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                                // Only this statement is rolled back; the transaction goes on.
                                skipped += 1
                                if skipped > max(1000, count / 10) {
                                    throw StoreError.conflict("generated packages keep colliding with existing ones (\(skipped) skipped; last: \(row.fileName)); use another --seed or an empty store")
                                }
                            }
                        }
                        return .commit
                    }
                    progress(inserted, count)
                    group.wait()
                    pending = try producer.takeAhead()
                    produced += pending.count
                    if pending.isEmpty && inserted < count {
                        // Replacements for rows that collided.
                        pending = try producer.produce(min(batchSize, count - inserted))
                        produced += pending.count
                    }
                }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_FULL { throw StoreError.noSpace("catalog: disk full") }
            throw StoreError.io("generating packages failed after \(inserted): \(error.message ?? "\(error)")", errno: EIO)
        }
        if skipped > 0 {
            logger.notice("generate: skipped \(skipped) synthetic package(s) that collided with existing ones")
        }
    }
}

/// Turns synthetic packages into INSERT arguments, in PackageRecord's own encoding.
/// Used by one thread at a time: the writer, or the one background batch it waits for.
private final class RowProducer: @unchecked Sendable {
    struct Row {
        let arguments: StatementArguments
        let fileName: String
    }

    private var packages: SyntheticPackages
    private var ahead: Result<[Row], Error> = .success([])

    init(_ packages: SyntheticPackages) {
        self.packages = packages
    }

    func produce(_ n: Int) throws -> [Row] {
        var rows: [Row] = []
        rows.reserveCapacity(n)
        for _ in 0..<n {
            let record = PackageRecord(packages.next())
            rows.append(Row(arguments: StatementArguments(record.columnValues), fileName: record.fileName))
        }
        return rows
    }

    func produceAhead(_ n: Int) {
        ahead = Result { try produce(n) }
    }

    func takeAhead() throws -> [Row] {
        defer { ahead = .success([]) }
        return try ahead.get()
    }
}

/// The deterministic stream of synthetic packages.
struct SyntheticPackages {
    struct Family {
        let name: String
        let versions: [String]
        let oses: [String]
        let arches: [String]
        /// Relative frequency.
        let weight: Double
        let summary: String
    }

    private var rng: SplitMix64
    private let typeRules: TypeRules
    private let families: [Family]
    private let cumulativeWeights: [Double]
    private let start: Double
    private let step: Double
    private var index = 0
    private var typeCache: [String: String] = [:]

    static let users = ["admin", "ci", "release-bot", "ocp-admin", "ops"]
    static let hex = Array("0123456789abcdef".utf8)

    init(seed: UInt64, typeRules: TypeRules, start: Double, step: Double) {
        rng = SplitMix64(seed: seed)
        self.typeRules = typeRules
        self.start = start
        self.step = step
        families = Self.makeFamilies()
        var sum = 0.0
        cumulativeWeights = families.map { sum += $0.weight; return sum }
    }

    mutating func next() -> Package {
        let i = index
        index += 1
        let family = pickFamily()
        let version = family.versions[Int(rng.next() % UInt64(family.versions.count))]
        let os = family.oses[Int(rng.next() % UInt64(family.oses.count))]
        let arch = family.arches[Int(rng.next() % UInt64(family.arches.count))]
        let isDebian = os.hasPrefix("ubuntu") || os.hasPrefix("debian")
        let format: PackageFormat
        let ext: String
        if family.arches == ["noarch"] && family.name.hasPrefix("ocp-") {
            (format, ext) = (.archive, "tar.gz")
        } else if isDebian {
            (format, ext) = (.deb, "deb")
        } else {
            (format, ext) = (.rpm, "rpm")
        }
        // Upload time: strictly increasing; the build happened minutes to days before it.
        let created = start + Double(i) * step + Double(rng.next() % 1_000_000) / 1_000_000 * min(step, 0.999)
        let built = created.rounded(.down) - Double(rng.next() % 259_200)
        let build = Self.buildStamp(built)
        let fileName = "\(family.name)-\(version)-\(build).\(os).\(arch).\(ext)"

        let roll = rng.next() % 1000
        let state: PackageState
        var details: [StateDetail] = []
        if roll < 20 {
            state = .corrupt
            details = [StateDetail(type: "digest", title: "SHA256 mismatch",
                                   detail: "expected sha256 \(randomHex(64)) was set before close, the uploaded bytes have another digest")]
        } else if roll < 25 {
            state = .incomplete
            details = [StateDetail(type: "truncated", title: "Truncated upload",
                                   detail: "\(fileName) ends inside its payload; upload the whole file again")]
        } else {
            state = .available
        }
        let labels = rng.next() % 20 == 0 ? [Label(name: "channel", value: rng.next() % 2 == 0 ? "stable" : "beta")] : []
        let user = Self.users[Int(rng.next() % UInt64(Self.users.count))]
        let type = typeFor(family.name)
        let createdAt = Date(timeIntervalSince1970: created)
        let modifiedAt = state == .available ? createdAt : Date(timeIntervalSince1970: created + 60)
        var formatJSON: String?
        if format == .rpm || format == .deb {
            formatJSON = formatDetails(family: family, version: version, build: build, os: os, arch: arch,
                                       built: built, format: format)
        }
        return Package(
            name: family.name, fileName: fileName, fileExtension: ext, size: randomSize(), sha1: randomHex(40),
            type: type, version: version, buildNumber: build, operatingSystem: os, architecture: arch,
            uuid: randomUUID(), sha256: randomHex(64), format: format, epoch: nil,
            release: format == .rpm ? "\(build).\(os)" : nil, state: state, stateDetails: details, labels: labels,
            createdAt: createdAt, modifiedAt: modifiedAt, createdBy: user,
            modifiedBy: state == .available ? user : "admin", formatDetailsJSON: formatJSON)
    }

    // MARK: - pieces

    private mutating func pickFamily() -> Family {
        let x = Double(rng.next() >> 11) / Double(1 << 53) * cumulativeWeights.last!
        var low = 0, high = cumulativeWeights.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulativeWeights[mid] < x { low = mid + 1 } else { high = mid }
        }
        return families[low]
    }

    private mutating func typeFor(_ name: String) -> String {
        if let known = typeCache[name] { return known }
        let type = typeRules.type(forName: name)
        typeCache[name] = type
        return type
    }

    /// Log-normal around 40 MB, between 10 KiB and 2 GiB.
    private mutating func randomSize() -> Int64 {
        let u1 = max(Double(rng.next() >> 11) / Double(1 << 53), 1e-12)
        let u2 = Double(rng.next() >> 11) / Double(1 << 53)
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        let size = exp(log(40_000_000.0) + 1.3 * normal)
        return Int64(min(max(size, 10_240), 2_147_483_648))
    }

    private mutating func randomHex(_ digits: Int) -> String {
        var out = [UInt8]()
        out.reserveCapacity(digits)
        var word = rng.next()
        var left = 16
        for _ in 0..<digits {
            if left == 0 { word = rng.next(); left = 16 }
            out.append(Self.hex[Int(word & 0xF)])
            word >>= 4
            left -= 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func randomUUID() -> String {
        var h = Array(randomHex(32).utf8)
        h[12] = UInt8(ascii: "4")
        h[16] = Self.hex[8 + Int(h[16] % 4)]
        for dash in [20, 16, 12, 8] { h.insert(UInt8(ascii: "-"), at: dash) }
        return String(decoding: h, as: UTF8.self)
    }

    /// `yyyyMMddHHmmss` in UTC, like OCP's build numbers.
    static func buildStamp(_ time: Double) -> String {
        var t = time_t(time)
        var parts = tm()
        gmtime_r(&t, &parts)
        var out = [UInt8]()
        out.reserveCapacity(14)
        for (value, digits) in [(Int(parts.tm_year) + 1900, 4), (Int(parts.tm_mon) + 1, 2), (Int(parts.tm_mday), 2),
                                (Int(parts.tm_hour), 2), (Int(parts.tm_min), 2), (Int(parts.tm_sec), 2)] {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A few header fields, the size of what an RPM/deb header summary takes in the catalog.
    /// Written by hand: JSONSerialization (it sorts keys through ICU) cost more than the insert itself.
    private func formatDetails(family: Family, version: String, build: String, os: String, arch: String,
                               built: Double, format: PackageFormat) -> String {
        // Every value here is the generator's own ASCII without quotes or backslashes: no escaping needed.
        func q(_ s: String) -> String { "\"" + s + "\"" }
        let source = format == .rpm ? q("\(family.name)-\(version)-\(build).\(os).src.rpm") : "null"
        return "{\"buildhost\":\(q("build-\(os)-\(arch).example.com")),\"buildtime\":\(Int(built)),"
            + "\"license\":\"Mulan PubL v2\",\"provides\":[\(q("\(family.name) = \(version)-\(build).\(os)"))],"
            + "\"requires\":[\"/bin/sh\",\"libc.so.6()(64bit)\",\"libstdc++.so.6()(64bit)\",\"libaio.so.1()(64bit)\"],"
            + "\"sourcerpm\":\(source),\"summary\":\(q(family.summary)),\"synthetic\":true,"
            + "\"url\":\"https://www.oceanbase.com\",\"vendor\":\"OceanBase\"}"
    }

    // MARK: - families

    static func makeFamilies() -> [Family] {
        let rpmOSes = ["el7", "el8", "el9", "alios7", "alios8"]
        let allOSes = rpmOSes + ["ubuntu20", "ubuntu22", "debian11"]
        let server = ["x86_64", "aarch64"]
        func versions(_ majors: [(Int, Int)], patches: Int, fourth: Int = 0) -> [String] {
            var out: [String] = []
            for (major, minors) in majors {
                for minor in 0..<minors {
                    for patch in 0..<patches {
                        if fourth > 0 {
                            for f in 0..<fourth { out.append("\(major).\(minor).\(patch).\(f)") }
                        } else {
                            out.append("\(major).\(minor).\(patch)")
                        }
                    }
                }
            }
            return out
        }
        var families: [Family] = [
            Family(name: "oceanbase-ce", versions: versions([(3, 2), (4, 4)], patches: 4, fourth: 3),
                   oses: ["el7", "el8", "el9"], arches: server, weight: 10, summary: "OceanBase CE database server"),
            Family(name: "oceanbase", versions: versions([(3, 2), (4, 4)], patches: 4, fourth: 3),
                   oses: ["el7", "el8", "alios7", "alios8"], arches: server, weight: 8, summary: "OceanBase database server"),
            Family(name: "oceanbase-ce-libs", versions: versions([(3, 2), (4, 4)], patches: 4, fourth: 3),
                   oses: ["el7", "el8", "el9"], arches: server, weight: 5, summary: "OceanBase CE client libraries"),
            Family(name: "oceanbase-ce-utils", versions: versions([(3, 2), (4, 4)], patches: 4, fourth: 3),
                   oses: ["el7", "el8"], arches: server, weight: 3, summary: "OceanBase CE utilities"),
            Family(name: "t-oceanbase-ocp-agent", versions: versions([(2, 5), (3, 4), (4, 3)], patches: 5),
                   oses: ["alios7", "alios8", "el7", "el8"], arches: server, weight: 10, summary: "OCP agent"),
            Family(name: "ocp-agent-ce", versions: versions([(4, 3)], patches: 6),
                   oses: ["el7", "el8", "el9"], arches: server, weight: 4, summary: "OCP agent CE"),
            Family(name: "obproxy-ce", versions: versions([(3, 2), (4, 3)], patches: 5, fourth: 2),
                   oses: allOSes, arches: server, weight: 8, summary: "OceanBase database proxy"),
            Family(name: "obproxy", versions: versions([(3, 2), (4, 3)], patches: 5, fourth: 2),
                   oses: rpmOSes, arches: server, weight: 5, summary: "OceanBase database proxy"),
            Family(name: "ob-backup-agent", versions: versions([(1, 3), (2, 2)], patches: 4),
                   oses: ["el7", "el8", "alios7"], arches: server, weight: 5, summary: "OceanBase backup agent"),
            Family(name: "obclient", versions: versions([(2, 2)], patches: 8), oses: allOSes, arches: server,
                   weight: 4, summary: "OceanBase command-line client"),
            Family(name: "libobclient", versions: versions([(2, 2)], patches: 8), oses: allOSes, arches: server,
                   weight: 3, summary: "OceanBase client library"),
            Family(name: "obagent", versions: versions([(1, 3), (4, 2)], patches: 4), oses: rpmOSes, arches: server,
                   weight: 3, summary: "OceanBase monitoring agent"),
            Family(name: "oblogproxy", versions: versions([(1, 2), (2, 1)], patches: 5), oses: rpmOSes, arches: server,
                   weight: 2, summary: "OceanBase log proxy"),
            Family(name: "ob-configserver", versions: versions([(1, 1)], patches: 6), oses: rpmOSes, arches: server,
                   weight: 1, summary: "OceanBase config server"),
            Family(name: "ocp-server-ce", versions: versions([(4, 3)], patches: 4), oses: ["el7", "el8"],
                   arches: ["noarch"], weight: 1, summary: "OCP server bundle"),
        ]
        // Generic third-party and in-house packages: many names, few builds each.
        let stems = ["libaio", "mysql-connector-java", "python3-pymysql", "jdk", "openssl", "zlib", "zstd",
                     "node-exporter", "prometheus", "grafana", "etcd", "haproxy", "keepalived", "nginx",
                     "libtool-ltdl", "ncurses-compat", "gperftools", "jemalloc", "perl-DBD-MySQL", "rsync"]
        for (n, stem) in stems.enumerated() {
            let majors = [(1 + n % 3, 2 + n % 4)]
            families.append(Family(name: stem, versions: versions(majors, patches: 5), oses: allOSes,
                                   arches: n % 5 == 0 ? ["noarch"] : ["x86_64", "aarch64", "noarch"],
                                   weight: 0.8, summary: "\(stem) package"))
        }
        for n in 0..<200 {
            let name = "app-\(["svc", "tool", "lib", "plugin"][n % 4])-\(String(format: "%03d", n))"
            families.append(Family(name: name, versions: versions([(1 + n % 2, 1 + n % 3)], patches: 10),
                                   oses: Array(allOSes[(n % 3)..<(n % 3 + 4)]), arches: server,
                                   weight: 0.1, summary: "in-house \(name)"))
        }
        return families
    }
}

/// A small, fast, seedable generator (Steele, Lea, Flood 2014).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
