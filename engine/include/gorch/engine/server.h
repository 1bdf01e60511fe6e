// The gorch API server (proto/gorch/v1/gorch.proto, docs/api.md): serves the
// store's objects to the CLI and to node agents over gRPC. Every mutation is a
// compare-and-swap transaction on the store, so the server keeps no state of its
// own: a restart at any moment loses nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gorch/base/status.h"
#include "gorch/store/store.h"

namespace gorch::engine {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see ApiServer::port()).
  std::string listen = "127.0.0.1:7420";
  // Largest request or response message (a plan carries every object it writes).
  int max_message_bytes = 64 << 20;
  // TTL of a node's heartbeat lease (docs/state-model.md: 10 s).
  int64_t heartbeat_ttl_seconds = 10;
  // How often a stream (Watch, WatchNodePods) checks that its client is still there.
  std::chrono::milliseconds stream_poll{200};
  // Receives one line per thing the server did (an apply, a node registered);
  // null: silent. Called from any thread, one call at a time.
  std::function<void(const std::string&)> log;
};

class ApiServer {
 public:
  virtual ~ApiServer() = default;

  // Starts serving `store` (which must outlive the server) on options.listen.
  // Errors: InvalidArgument (malformed address), Unavailable (cannot bind).
  static Result<std::unique_ptr<ApiServer>> Start(store::Store& store, const ServerOptions& options);

  // The port actually bound.
  virtual int port() const = 0;
  // Stops accepting calls; streams end within `grace` (+ stream_poll). Idempotent.
  virtual void Shutdown(std::chrono::milliseconds grace) = 0;
};

}  // namespace gorch::engine
