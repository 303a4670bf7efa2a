// Predicts whether REQUESTER can exchange a token for TARGET, through which mechanism and path, or
// why not, from one read of the realm (the survey graph and doctor use), with Keycloak's refusals.
import KcxJSON

public struct ExchangePrediction: Sendable {
    /// A reason Keycloak would refuse, with the command that removes it.
    public struct Problem: Sendable, Equatable {
        public let message: String
        public let fix: String?
    }

    public let requester: String
    public let target: String
    public let subjectClient: String?
    public let paths: [ExchangePath]
    public let problems: [Problem]

    public var possible: Bool { problems.isEmpty && !paths.isEmpty }

    public var json: JSON {
        var object = JSONObject([
            ("from", .string(requester)), ("to", .string(target)), ("possible", .bool(possible)),
            ("paths", .array(paths.map(\.json))),
            (
                "problems",
                .array(
                    problems.map { problem in
                        var entry = JSONObject([("message", .string(problem.message))])
                        if let fix = problem.fix { entry["fix"] = .string(fix) }
                        return .object(entry)
                    })
            ),
        ])
        if let subjectClient { object["subjectClient"] = .string(subjectClient) }
        return .object(object)
    }
}

extension Lookup {
    /// Keycloak's checks in the order it makes them: the requester may exchange at all (confidential),
    /// the subject token names the requester in `aud` (when it comes from another client), and a
    /// path to TARGET exists (RealmSurvey.exchangePaths, the rule deny and graph use).
    public func predictExchange(from requesterName: String, to targetName: String, subjectClient: String?, user: String?) throws
        -> ExchangePrediction
    {
        let requester = try requireClient(requesterName)
        let target = try requireClient(targetName)
        let initial = try subjectClient.map { try requireClient($0) }
        let survey = try survey()
        var problems: [ExchangePrediction.Problem] = []
        func kcx(_ words: String...) -> String { Shell.command(["kcx"] + words + ["-r", realm]) }

        if requester.representation["publicClient"]?.boolValue == true {
            problems.append(
                .init(
                    message:
                        "\(requester.clientId) is a public client: Keycloak refuses it (\"Public client is not allowed to exchange token\")",
                    fix: nil))
        }
        if let initial, initial.id != requester.id {
            let carried: Bool
            if let user {
                carried = try checkAudience(client: initial.clientId, audience: requester.clientId, scope: [], user: user).present
            } else {
                carried =
                    survey.client(initial.clientId).map {
                        survey.audiences(of: $0, includeOptional: false).contains(requester.clientId)
                    } ?? false
            }
            if !carried {
                problems.append(
                    .init(
                        message:
                            "\(initial.clientId)'s tokens\(user.map { " for \($0)" } ?? "") do not carry \(requester.clientId) in aud, so Keycloak refuses the exchange (\"Client is not within the token audience\")",
                        fix: kcx(
                            "token-exchange", "allow", "--from", requester.clientId, "--to", target.clientId, "--subject-client",
                            initial.clientId)))
            }
        }
        let paths = survey.exchangePaths(from: requester.clientId, to: target.clientId)
        if paths.isEmpty {
            let standardOn = survey.client(requester.clientId)?.standardExchange == true
            let message: String
            if survey.features.standardExchange && !standardOn {
                message =
                    "standard token exchange is off for \(requester.clientId)\(survey.features.legacyUsable ? ", and no legacy permission on \(target.clientId) lets it" : "")"
            } else if survey.features.standardExchange {
                message =
                    "none of \(requester.clientId)'s scopes or mappers puts \(target.clientId) into its tokens (\"Requested audience not available\")"
            } else if survey.features.legacyUsable {
                message =
                    "no legacy token-exchange permission on \(target.clientId) lets \(requester.clientId) (\"Client not allowed to exchange\")"
            } else {
                message = "the server has no token exchange enabled"
            }
            problems.append(
                .init(
                    message: message, fix: kcx("token-exchange", "allow", "--from", requester.clientId, "--to", target.clientId)))
        }
        return ExchangePrediction(
            requester: requester.clientId, target: target.clientId, subjectClient: initial?.clientId, paths: paths,
            problems: problems)
    }
}
