/// The raw shape of `shmd.toml`, as TOMLKit decodes it. Every field is optional here; defaults
/// and checks live in `ConfigLoader`, which knows the file and line to blame.
struct ConfigFile: Decodable {
    struct Daemon: Decodable {
        var prefix: String?
        var mode: String?
        var group: String?
        var sweepInterval: Double?

        enum CodingKeys: String, CodingKey {
            case prefix, mode, group
            case sweepInterval = "sweep-interval"
        }
    }

    struct Channel: Decodable {
        var name: String?
        var layout: String?
        var slots: Int?
        var slotSize: Int?
        var `protocol`: String?
        var mode: String?
        var group: String?
        var segment: String?
        var semEmpty: String?
        var semFull: String?

        enum CodingKeys: String, CodingKey {
            case name, layout, slots, mode, group, segment
            case `protocol`
            case slotSize = "slot-size"
            case semEmpty = "sem-empty"
            case semFull = "sem-full"
        }
    }

    var daemon: Daemon?
    var channel: [Channel]?
}
