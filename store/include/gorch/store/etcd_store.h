// The store on an etcd v3 cluster, over its gRPC API (KV, Watch, Lease), for teams
// that want a replicated control plane. Same semantics as the LMDB store; the
// conformance suite runs against both.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "gorch/base/status.h"
#include "gorch/store/store.h"

namespace gorch::store {

struct EtcdOptions {
  // Comma-separated client endpoints: "127.0.0.1:2379,http://127.0.0.2:2379".
  // Plain-text gRPC only (https:// is refused).
  std::string endpoints;
  // Deadline of every unary call; a dead endpoint is Unavailable after this at most.
  std::chrono::milliseconds request_timeout{5000};
  // Reads are linearizable by default (etcd asks its raft quorum before answering);
  // serializable reads are answered from the member's local state, faster, and may
  // be stale on a follower. Reads inside a Txn are always linearizable.
  bool serializable_reads = false;
  // gRPC channels (TCP connections) per endpoint for KV calls, used in turn (etcd's
  // own benchmark tool spreads its clients over several connections). Watches,
  // leases and status use the first.
  int kv_channels = 1;
  // OpenEtcdStore checks that an endpoint answers within this (0: no check).
  std::chrono::milliseconds dial_timeout{5000};
  // A watch whose stream broke keeps reconnecting (resuming after its last revision)
  // for this long before Next() reports Unavailable.
  std::chrono::milliseconds watch_reconnect_window{10000};
};

// Connects to etcd. Errors: InvalidArgument (bad endpoint list), Unavailable (no
// endpoint answered within dial_timeout).
Result<std::unique_ptr<Store>> OpenEtcdStore(const EtcdOptions& options);

}  // namespace gorch::store
