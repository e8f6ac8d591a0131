import ENASCore
import Foundation
import Testing

@Suite("Recurrent cell architectures: encodings, JSON, pictures")
struct RecurrentCellArchitectureTests {
    static let enasLMCell = "0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2"
    static let paperCell = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"

    @Test func enasLMPublishedCellParsesAndRoundTrips() throws {
        let cell = try RecurrentCellArchitecture.parse(Self.enasLMCell, encoding: .enasLM)
        #expect(cell.nodeCount == 9 && cell.firstActivation == .tanh && cell.output == .allNodes)
        #expect(cell.nodes[0] == .init(previous: 0, activation: .sigmoid))
        #expect(cell.nodes[2] == .init(previous: 2, activation: .relu))
        #expect(cell.outputNodes == Array(1...8))
        #expect(try cell.encoded(as: .enasLM) == Self.enasLMCell)
        #expect(try cell.encoded(as: .firstCode) == "0 0 3 1 0 2 1 2 3 4 0 5 0 3 3 6 3")
    }

    @Test func paperCellParsesWithLooseEndsAndRoundTrips() throws {
        let cell = try RecurrentCellArchitecture.parse(Self.paperCell, encoding: .firstCode)
        #expect(cell.nodeCount == 12 && cell.output == .looseEnds)
        #expect(cell.nodes[1] == .init(previous: 1, activation: .relu))
        #expect(cell.outputNodes == [3, 4, 7, 9, 10, 11])
        #expect(try cell.encoded(as: .firstCode) == Self.paperCell)
        #expect(cell.description.hasPrefix("0:tanh 1←0:tanh 2←1:relu"))
        #expect(cell.description.hasSuffix("output = mean(loose ends 3, 4, 7, 9, 10, 11)"))
    }

    @Test func jsonRoundTripKeepsFirstActivationAndOutputMode() throws {
        var cell = try RecurrentCellArchitecture.parse(Self.paperCell, encoding: .firstCode)
        cell.firstActivation = .relu
        let json = try JSONEncoder().encode(cell)
        #expect(try JSONDecoder().decode(RecurrentCellArchitecture.self, from: json) == cell)
        #expect(String(decoding: json, as: UTF8.self).contains("\"first_activation\":\"relu\""))
        #expect(throws: ENASError.self) { try cell.encoded(as: .enasLM) }
        let bad = Data(#"{"first_activation":"tanh","nodes":[{"previous":3,"activation":"relu"}],"output":"loose_ends"}"#.utf8)
        #expect(throws: ENASError.self) { try JSONDecoder().decode(RecurrentCellArchitecture.self, from: bad) }
    }

    @Test func dotHasOneBoxPerNodeLabelledWithItsActivation() throws {
        let cell = try RecurrentCellArchitecture.parse(Self.enasLMCell, encoding: .enasLM)
        let dot = cell.dot
        #expect(dot.hasPrefix("digraph recurrent_cell {"))
        for i in 0..<9 { #expect(dot.contains("  n\(i) [label=\"\(i): ")) }
        #expect(dot.contains("n4 -> n5;") && dot.contains("n8 -> avg;"))
    }

    @Test(arguments: [
        ("0 2 1", RecurrentCellArchitecture.Encoding.enasLM),   // odd count
        ("1 0", .enasLM),                                       // node 1 reads node 1
        ("0 7", .enasLM),                                       // activation code 7
        ("0 0 x 1", .enasLM),                                   // not an integer
        ("0 0 0 1", .firstCode),                                // even count in the first-code form
        ("", .enasLM),
    ])
    func badStringsAreFormatErrors(_ text: String, _ encoding: RecurrentCellArchitecture.Encoding) {
        #expect(throws: ENASError.self) { try RecurrentCellArchitecture.parse(text, encoding: encoding) }
    }
}
