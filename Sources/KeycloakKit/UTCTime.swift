// Calendar fields of a UTC instant, computed without Foundation's calendars (start-up cost) —
// one place for the status and audit timestamps.

public struct UTCTime: Sendable, Equatable {
    public let year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64

    public init(secondsSinceEpoch seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Howard Hinnant's days_from_civil, inverted.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
    }

    /// `2026-05-01 12:00:00 UTC`
    public var readable: String { "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute)):\(two(second)) UTC" }
    /// `2026-05-01T12:00:00Z`
    public var iso8601: String { "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))Z" }

    private func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
