// Module authors write against ByteBuffer, HTTPHeaders, HTTPResponseStatus and Logger;
// re-exporting them spares a module package its own dependencies on swift-nio and swift-log.
@_exported import struct Logging.Logger
@_exported import NIOCore
@_exported import NIOHTTP1
