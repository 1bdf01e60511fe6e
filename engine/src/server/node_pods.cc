#include "server/node_pods.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "server/objects.h"

namespace gorch::engine::server {

namespace {

// SAX reader of {"object": {"spec": {"nodeName": ...}}}: follows that path and
// stops the parse once the field is read (no document is built).
class NodeNameReader : public nlohmann::json::json_sax_t {
 public:
  std::string node;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool string(string_t& v) override {
    if (depth_ == kLeafDepth && on_path_ == kLeafDepth && key_ == "nodeName") {
      node = std::move(v);
      return false;  // found: stop
    }
    return true;
  }
  bool start_object(std::size_t) override {
    // The envelope is on the path; a nested object is when its key is the next step.
    if (depth_ == 0 || (depth_ < kLeafDepth && on_path_ == depth_ && key_ == kPath[depth_ - 1])) on_path_ = depth_ + 1;
    ++depth_;
    key_.clear();
    return true;
  }
  bool end_object() override {
    if (on_path_ == depth_) --on_path_;
    --depth_;
    key_.clear();
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;  // nothing inside an array is on the path
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (on_path_ == depth_) key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  static constexpr size_t kLeafDepth = 3;  // the spec object
  static constexpr const char* kPath[] = {"object", "spec"};
  size_t depth_ = 0;    // nesting of objects and arrays
  size_t on_path_ = 0;  // the depth of the innermost object on the path (0: none)
  std::string key_;     // the last key read in that object
};

}  // namespace

std::string PodNodeName(const std::string& value) {
  if (value.find("nodeName") == std::string::npos) return "";  // the common unbound case, without a parse
  NodeNameReader reader;
  (void)nlohmann::json::sax_parse(value, &reader);
  return std::move(reader.node);
}

NodePodHub::NodePodHub(store::Store& store, std::chrono::milliseconds poll) : store_(store), poll_(poll) {}

NodePodHub::~NodePodHub() { Stop(); }

Status NodePodHub::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    GORCH_RETURN_IF_ERROR(Relist());
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void NodePodHub::Stop() {
  stop_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    if (watch_) watch_->Cancel();
    CloseAll(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server stopping"));
  }
  if (thread_.joinable()) thread_.join();
}

// REQUIRES: mu_ held.
Status NodePodHub::Relist() {
  Result<store::RangeResponse> list = store_.Range(store::RangeRequest::Prefix("/Pod/"));
  if (!list.ok()) return list.status();
  pods_.clear();
  bound_.clear();
  for (store::KeyValue& kv : list->kvs) {
    Pod pod;
    pod.node = PodNodeName(kv.value);
    pod.create_revision = kv.create_revision;
    pod.mod_revision = kv.mod_revision;
    if (!pod.node.empty()) bound_[pod.node].insert(kv.key);
    pods_[kv.key] = std::move(pod);
  }
  revision_ = list->revision;
  Result<std::unique_ptr<store::WatchStream>> w = store_.Watch(store::WatchRequest::Prefix("/Pod/", revision_ + 1));
  if (!w.ok()) return w.status();
  watch_ = std::move(*w);
  return Status::Ok();
}

// REQUIRES: mu_ held.
void NodePodHub::CloseAll(const grpc::Status& status) {
  for (auto& [node, subs] : subs_)
    for (Subscriber* s : subs) s->Close(status);
  subs_.clear();
}

void NodePodHub::Loop() {
  while (!stop_) {
    Result<std::vector<store::Event>> events = watch_->Next(poll_);
    if (stop_) return;
    if (!events.ok()) {
      // Compacted or broken: every stream starts over from a fresh list.
      std::lock_guard<std::mutex> lock(mu_);
      CloseAll(grpc::Status(grpc::StatusCode::UNAVAILABLE, "pod watch restarted: " + events.status().message()));
      if (!Relist().ok()) {
        mu_.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        mu_.lock();
      }
      continue;
    }
    // Parse outside the lock: it is the expensive part.
    std::vector<std::string> nodes;
    nodes.reserve(events->size());
    for (const store::Event& e : *events)
      nodes.push_back(e.type == store::EventType::kPut ? PodNodeName(e.kv.value) : std::string());
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < events->size(); ++i) {
      store::Event& e = (*events)[i];
      auto it = pods_.find(e.kv.key);
      const std::string old_node = it != pods_.end() ? it->second.node : "";
      const int64_t old_create = it != pods_.end() ? it->second.create_revision : 0;
      const std::string& new_node = nodes[i];
      // change: the pod was bound to this node before, as the same incarnation
      // (subscribers that want bindings only skip it).
      auto deliver = [&](const std::string& node, const NodePodItem& item, bool change) {
        auto s = subs_.find(node);
        if (s == subs_.end()) return;
        for (Subscriber* sub : s->second)
          if (!change || !sub->bindings_only()) sub->Deliver(item);
      };
      if (!old_node.empty() && old_node != new_node) {
        bound_[old_node].erase(e.kv.key);
        deliver(old_node, {v1::NodePodEvent::DELETE, e.kv.key, nullptr, 0, 0, e.kv.mod_revision}, false);
      }
      if (e.type == store::EventType::kDelete) {
        if (it != pods_.end()) pods_.erase(it);
        continue;
      }
      Pod& pod = pods_[e.kv.key];
      pod.node = new_node;
      pod.create_revision = e.kv.create_revision;
      pod.mod_revision = e.kv.mod_revision;
      if (new_node.empty()) continue;
      bound_[new_node].insert(e.kv.key);
      const bool change = old_node == new_node && old_create == e.kv.create_revision;
      deliver(new_node,
              {v1::NodePodEvent::PUT, e.kv.key, std::make_shared<const std::string>(std::move(e.kv.value)),
               pod.create_revision, pod.mod_revision, pod.mod_revision},
              change);
    }
    if (!events->empty()) revision_ = std::max(revision_, events->back().kv.mod_revision);
  }
}

bool NodePodHub::Subscribe(const std::string& node, Subscriber* sub) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return false;
  auto b = bound_.find(node);
  if (b != bound_.end()) {
    for (const std::string& key : b->second) {
      const Pod& pod = pods_.at(key);
      // The value as of the revision the hub knows; newest if that is compacted away
      // (a newer state of the same pod: its later events follow on the stream).
      Result<std::optional<store::KeyValue>> kv = store_.Get(key, pod.mod_revision);
      if (!kv.ok()) kv = store_.Get(key);
      if (!kv.ok() || !kv->has_value() || (*kv)->create_revision != pod.create_revision) continue;
      sub->Deliver({v1::NodePodEvent::PUT, key, std::make_shared<const std::string>(std::move((*kv)->value)),
                    pod.create_revision, pod.mod_revision, pod.mod_revision});
    }
  }
  sub->Deliver({v1::NodePodEvent::SYNCED, "", nullptr, 0, 0, revision_});
  subs_[node].insert(sub);
  return true;
}

void NodePodHub::Unsubscribe(const std::string& node, Subscriber* sub) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subs_.find(node);
  if (it == subs_.end()) return;
  it->second.erase(sub);
  if (it->second.empty()) subs_.erase(it);
}

size_t NodePodHub::SubscriberCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [node, subs] : subs_) n += subs.size();
  return n;
}

namespace {

// Writes the queued items one at a time (the callback API allows one write in
// flight); ends the call once, after the write in flight, when asked to.
class NodePodsReactor final : public grpc::ServerWriteReactor<v1::NodePodEvent>, public NodePodHub::Subscriber {
 public:
  NodePodsReactor(NodePodHub& hub, std::string node, bool bindings_only)
      : hub_(hub), node_(std::move(node)), bindings_only_(bindings_only) {
    if (!hub_.Subscribe(node_, this)) Close(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server stopping"));
  }

  bool bindings_only() const override { return bindings_only_; }

  void Deliver(NodePodItem item) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (finish_) return;
    queue_.push_back(std::move(item));
    WriteNextLocked();
  }

  void Close(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    RequestFinishLocked(status);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) RequestFinishLocked(grpc::Status::CANCELLED);
    if (finish_) {
      FinishLocked();
      return;
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    RequestFinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    hub_.Unsubscribe(node_, this);
    delete this;
  }

 private:
  void WriteNextLocked() {
    if (writing_ || queue_.empty()) return;
    NodePodItem item = std::move(queue_.front());
    queue_.pop_front();
    current_.Clear();
    current_.set_type(item.type);
    current_.set_revision(item.revision);
    if (item.type != v1::NodePodEvent::SYNCED) {
      ObjectKey key;
      if (ParseStoreKey(item.key, key)) {
        current_.mutable_pod()->set_kind(key.kind);
        current_.mutable_pod()->set_namespace_(key.namespace_);
        current_.mutable_pod()->set_name(key.name);
      }
    }
    if (item.type == v1::NodePodEvent::PUT && item.value) {
      current_.mutable_pod()->set_json(*item.value);
      current_.mutable_pod()->set_create_revision(item.create_revision);
      current_.mutable_pod()->set_mod_revision(item.mod_revision);
    }
    writing_ = true;
    StartWrite(&current_);
  }

  void RequestFinishLocked(const grpc::Status& status) {
    if (finish_) return;
    finish_ = status;
    queue_.clear();
    if (!writing_) FinishLocked();
  }

  void FinishLocked() {
    if (finished_) return;
    finished_ = true;
    Finish(*finish_);
  }

  NodePodHub& hub_;
  const std::string node_;
  const bool bindings_only_;
  std::mutex mu_;
  std::deque<NodePodItem> queue_;
  v1::NodePodEvent current_;
  bool writing_ = false;
  std::optional<grpc::Status> finish_;
  bool finished_ = false;
};

}  // namespace

grpc::ServerWriteReactor<v1::NodePodEvent>* NewNodePodsReactor(NodePodHub& hub, const std::string& node,
                                                               bool bindings_only) {
  return new NodePodsReactor(hub, node, bindings_only);
}

}  // namespace gorch::engine::server
