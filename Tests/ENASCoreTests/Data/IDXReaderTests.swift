import ENASCore
import ENASTestSupport
import Foundation
import Testing

@Suite("IDX and gzip reading")
struct IDXReaderTests {
    func idx(_ dims: [UInt32], payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 8, UInt8(dims.count)]
        for d in dims { bytes += [UInt8(d >> 24), UInt8((d >> 16) & 255), UInt8((d >> 8) & 255), UInt8(d & 255)] }
        return bytes + payload
    }

    @Test func parsesHeaderAndPayload() throws {
        let array = try IDXArray(data: idx([2, 3], payload: [1, 2, 3, 4, 5, 6]))
        #expect(array.dimensions == [2, 3] && array.bytes == [1, 2, 3, 4, 5, 6])
    }

    @Test func rejectsBadMagicWrongTypeAndTruncation() {
        #expect(throws: ENASError.format("'IDX data' is not an IDX file (bad magic number)")) { try IDXArray(data: [1, 0, 8, 1]) }
        #expect(throws: ENASError.self) { try IDXArray(data: [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]) }
        #expect(throws: ENASError.self) { try IDXArray(data: self.idx([2, 3], payload: [1, 2, 3])) }
        #expect(throws: ENASError.self) { try IDXArray(data: [0, 0, 8, 2, 0, 0]) }
    }

    @Test func readsGzipAndReportsTruncatedGzip() throws {
        let directory = try Fixtures.temporaryDirectory()
        let plain = directory + "/a.idx"
        try Data(idx([4], payload: [9, 8, 7, 6])).write(to: URL(fileURLWithPath: plain))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", plain]
        try gzip.run()
        gzip.waitUntilExit()
        #expect(try IDXArray(contentsOf: plain + ".gz").bytes == [9, 8, 7, 6])
        #expect(try IDXArray(contentsOf: plain).bytes == [9, 8, 7, 6])
        let whole = try Data(contentsOf: URL(fileURLWithPath: plain + ".gz"))
        try whole.prefix(whole.count - 10).write(to: URL(fileURLWithPath: directory + "/cut.gz"))
        #expect(throws: ENASError.self) { try IDXArray(contentsOf: directory + "/cut.gz") }
        #expect(throws: ENASError.io("cannot open '\(directory)/missing.gz'")) { try IDXArray(contentsOf: directory + "/missing.gz") }
    }

    @Test func fashionMNISTHasTheDocumentedShape() throws {
        guard let directory = Fixtures.fashionMNISTDirectory else {
            Issue.record("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
            return
        }
        let test = try FashionMNIST.load(split: "t10k", directory: directory)
        #expect(test.count == 10_000 && test.channels == 1 && test.height == 28 && test.width == 28)
        #expect(test.labels[0] == 9)
        guard case .bytes(let bytes) = test.pixels else { Issue.record("Fashion-MNIST pixels must stay bytes"); return }
        #expect(bytes[0..<784].reduce(0) { $0 + Int($1) } == 33_456)
    }
}
