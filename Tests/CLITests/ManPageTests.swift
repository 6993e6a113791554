import Foundation
import Testing
import TestSupport

/// man/ must stay in step with the CLI: every subcommand has a page, and every option its
/// `--help` lists appears on that page (regenerate with man/generate.sh).
@Suite struct ManPageTests {
    static let subcommands = ["dump", "stat", "verify"]

    @Test(arguments: subcommands)
    func pageListsEveryOption(_ subcommand: String) throws {
        let help = try CLI.run([subcommand, "--help"])
        #expect(help.status == 0)
        let pagePath = "\(Fixtures.packageRoot)/man/rmqstore.\(subcommand).1"
        let page = try String(contentsOfFile: pagePath, encoding: .utf8)
        let options = Set(help.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," || $0 == "/" })
            .filter { $0.hasPrefix("--") && $0.count > 2 }
            .map { String($0.prefix { $0 != "=" && $0 != ")" && $0 != "." }) })
        for option in options where option != "--help" && option != "--version" {
            // mdoc writes `--name` as `Fl -name`.
            #expect(page.contains("Fl -" + option.dropFirst(2)), "man/rmqstore.\(subcommand).1 lacks \(option): run man/generate.sh")
        }
    }

    @Test func overviewNamesEverySubcommand() throws {
        let page = try String(contentsOfFile: "\(Fixtures.packageRoot)/man/rmqstore.1", encoding: .utf8)
        for subcommand in Self.subcommands { #expect(page.contains("Cm \(subcommand)")) }
    }
}
