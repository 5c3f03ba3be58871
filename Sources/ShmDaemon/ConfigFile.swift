/// The raw shape of `shmd.toml`, as TOMLKit decodes it. Every field is optional here; defaults
/// and checks live in `ConfigLoader`, which knows the file and line to blame.
struct ConfigFile: Decodable {
    struct Daemon: Decodable {
        var prefix: String?
        var mode: String?
        var group: String?
        var allowWorld: Bool?
        var sweepInterval: TOMLNumber?
        var requireAllChannels: Bool?
        var maxClients: Int?
        var stuckAfter: TOMLNumber?

        enum CodingKeys: String, CodingKey {
            case prefix, mode, group
            case stuckAfter = "stuck-after"
            case allowWorld = "allow-world"
            case sweepInterval = "sweep-interval"
            case requireAllChannels = "require-all-channels"
            case maxClients = "max-clients"
        }
    }

    struct Channel: Decodable {
        var name: String?
        var layout: String?
        var slots: Int?
        var slotSize: Int?
        var `protocol`: String?
        var spinMicroseconds: TOMLNumber?
        var mode: String?
        var group: String?
        var allowWorld: Bool?
        var segment: String?
        var semEmpty: String?
        var semFull: String?
        var maxClients: Int?
        var stuckAfter: TOMLNumber?
        var delivery: String?
        var slowReader: String?

        enum CodingKeys: String, CodingKey {
            case name, layout, slots, mode, group, segment, delivery
            case slowReader = "slow-reader"
            case stuckAfter = "stuck-after"
            case maxClients = "max-clients"
            case `protocol`
            case slotSize = "slot-size"
            case spinMicroseconds = "spin-us"
            case semEmpty = "sem-empty"
            case semFull = "sem-full"
            case allowWorld = "allow-world"
        }
    }

    var daemon: Daemon?
    var channel: [Channel]?
}

/// A TOML number written as an integer (`1`) or a float (`1.5`): TOMLKit decodes only the
/// exact kind, and people write both.
struct TOMLNumber: Decodable, Equatable {
    let value: Double

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int.self) {
            value = Double(integer)
        } else {
            value = try container.decode(Double.self)
        }
    }
}
