// The per-node pod streams (WatchNodePods) of every agent, fed by ONE store watch
// on /Pod/: each pod change is read once (its spec.nodeName only) and handed to the
// streams of the node it was and is bound to, instead of every stream watching and
// filtering every pod (which costs nodes × pod changes). Streams are gRPC callback
// reactors, so a thousand agents hold no server thread while they wait. The hub
// keeps no pod values: a stream's first list reads them from the store at the
// revision the hub knows.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "gorch/store/store.h"
#include "gorch/v1/gorch.grpc.pb.h"

namespace gorch::engine::server {

// One event for one node's stream; the value is shared between the hub and the
// streams that still have to send it.
struct NodePodItem {
  v1::NodePodEvent::Type type = v1::NodePodEvent::PUT;
  std::string key;  // store key /Pod/<ns>/<name>
  std::shared_ptr<const std::string> value;  // PUT only
  int64_t create_revision = 0, mod_revision = 0;
  int64_t revision = 0;  // the event's revision (SYNCED: the snapshot's)
};

class NodePodHub {
 public:
  // A stream the hub delivers to. Deliver and Close are called with the hub's lock
  // held: they must only queue, never block or call back into the hub.
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    virtual void Deliver(NodePodItem item) = 0;
    // True: only a pod's binding (or re-creation) is delivered as a PUT, not its
    // later changes while it stays bound to the node (WatchNodePodsRequest.bindings_only).
    virtual bool bindings_only() const { return false; }
    // The hub cannot go on (stopping, or its store watch broke): end the stream
    // with `status`; the agent reconnects and gets a fresh list.
    virtual void Close(const grpc::Status& status) = 0;
  };

  NodePodHub(store::Store& store, std::chrono::milliseconds poll);
  ~NodePodHub();
  NodePodHub(const NodePodHub&) = delete;
  NodePodHub& operator=(const NodePodHub&) = delete;

  // Lists /Pod/ and starts the watch thread. Errors: the store's.
  Status Start();
  // Closes every subscriber with UNAVAILABLE and stops the thread. Idempotent.
  void Stop();

  // Registers `sub` for `node`: it is handed at once, in order, a PUT for every pod
  // bound to the node now, then SYNCED, then every later change. False (and nothing
  // delivered) once the hub has stopped.
  bool Subscribe(const std::string& node, Subscriber* sub);
  // After this returns the hub never touches `sub` again.
  void Unsubscribe(const std::string& node, Subscriber* sub);

  size_t SubscriberCount() const;

 private:
  struct Pod {
    std::string node;  // "" while unbound
    int64_t create_revision = 0, mod_revision = 0;
  };

  void Loop();
  Status Relist();
  void Apply(const store::Event& event);
  void CloseAll(const grpc::Status& status);

  store::Store& store_;
  const std::chrono::milliseconds poll_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Pod> pods_;                  // every pod key
  std::unordered_map<std::string, std::set<std::string>> bound_;  // node -> pod keys
  std::unordered_map<std::string, std::set<Subscriber*>> subs_;  // node -> streams
  int64_t revision_ = 0;  // every change up to here is applied
  std::unique_ptr<store::WatchStream> watch_;
  std::atomic<bool> stop_{false};
  bool stopped_ = false;  // under mu_
  std::thread thread_;
};

// spec.nodeName of a pod's store value; "" when unbound or unreadable. Reads no
// further than that field (no document is built).
std::string PodNodeName(const std::string& value);

// A stream refused before it starts: the caller calls Finish(status) once.
template <typename T>
class RefusedStream final : public grpc::ServerWriteReactor<T> {
 public:
  void OnDone() override { delete this; }
};

// The WatchNodePods stream of one agent.
grpc::ServerWriteReactor<v1::NodePodEvent>* NewNodePodsReactor(NodePodHub& hub, const std::string& node,
                                                               bool bindings_only = false);

}  // namespace gorch::engine::server
