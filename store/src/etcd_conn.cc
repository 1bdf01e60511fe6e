#include "etcd_conn.h"

#include <string_view>

namespace gorch::store::internal {
namespace pb = etcdserverpb;
namespace {

bool Contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, e - b + 1));
}

Result<std::string> ParseEndpoint(std::string endpoint) {
  if (endpoint.rfind("https://", 0) == 0) {
    return Status::InvalidArgument("etcd endpoint " + endpoint + ": TLS (https://) is not supported yet");
  }
  if (endpoint.rfind("http://", 0) == 0) endpoint = endpoint.substr(7);
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  size_t colon = endpoint.rfind(':');
  if (endpoint.empty() || colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size()) {
    return Status::InvalidArgument("etcd endpoint '" + endpoint + "' is not host:port");
  }
  for (char c : endpoint.substr(colon + 1)) {
    if (c < '0' || c > '9') return Status::InvalidArgument("etcd endpoint '" + endpoint + "' has a bad port");
  }
  return endpoint;
}

}  // namespace

Result<std::shared_ptr<EtcdConnection>> EtcdConnection::Create(const EtcdOptions& options) {
  std::shared_ptr<EtcdConnection> conn(new EtcdConnection(options));
  std::string_view list = options.endpoints;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string item = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    auto address = ParseEndpoint(item);
    if (!address.ok()) return address.status();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);  // etcd allows pings every 5 s
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    auto ep = std::make_unique<EtcdEndpoint>();
    ep->address = *address;
    ep->channel = grpc::CreateCustomChannel(*address, grpc::InsecureChannelCredentials(), args);
    ep->kv = pb::KV::NewStub(ep->channel);
    for (int i = 1; i < options.kv_channels; ++i) {
      grpc::ChannelArguments own = args;
      own.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // its own connection
      ep->kv_channels.push_back(grpc::CreateCustomChannel(*address, grpc::InsecureChannelCredentials(), own));
      ep->kv_stubs.push_back(pb::KV::NewStub(ep->kv_channels.back()));
    }
    if (!ep->kv_stubs.empty()) ep->kv_stubs.insert(ep->kv_stubs.begin(), pb::KV::NewStub(ep->channel));
    ep->watch = pb::Watch::NewStub(ep->channel);
    ep->lease = pb::Lease::NewStub(ep->channel);
    ep->maintenance = pb::Maintenance::NewStub(ep->channel);
    conn->endpoints_.push_back(std::move(ep));
  }
  if (conn->endpoints_.empty()) return Status::InvalidArgument("no etcd endpoints given");
  return conn;
}

std::unique_ptr<grpc::ClientContext> EtcdConnection::Context(std::chrono::milliseconds timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

Status EtcdConnection::FromGrpc(const grpc::Status& s, const std::string& address) {
  const std::string& m = s.error_message();
  std::string msg = "etcd " + address + ": " + m;
  switch (s.error_code()) {
    case grpc::StatusCode::OK: return Status::Ok();
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Unavailable(msg);
    case grpc::StatusCode::OUT_OF_RANGE:
      if (Contains(m, "compacted")) return Status::Compacted(msg);
      return Status::InvalidArgument(msg);  // "required revision is a future revision"
    case grpc::StatusCode::INVALID_ARGUMENT:
      if (Contains(m, "too large") || Contains(m, "too many")) return Status::ResourceExhausted(msg);
      return Status::InvalidArgument(msg);
    case grpc::StatusCode::NOT_FOUND: return Status::NotFound(msg);
    case grpc::StatusCode::FAILED_PRECONDITION:
      if (Contains(m, "already exists")) return Status::AlreadyExists(msg);
      return Status::FailedPrecondition(msg);
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return Status::ResourceExhausted(msg);
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
      return Status::Aborted(msg);
    default: return Status::Internal(msg);
  }
}

void ToPb(const RangeRequest& in, pb::RangeRequest* out) {
  out->set_key(in.key);
  out->set_range_end(in.range_end);
  out->set_limit(in.limit);
  out->set_revision(in.revision);
  out->set_keys_only(in.keys_only);
  out->set_count_only(in.count_only);
}

void ToPb(const PutRequest& in, pb::PutRequest* out) {
  out->set_key(in.key);
  out->set_value(in.value);
  out->set_lease(in.lease);
  out->set_prev_kv(in.prev_kv);
}

void ToPb(const DeleteRequest& in, pb::DeleteRangeRequest* out) {
  out->set_key(in.key);
  out->set_range_end(in.range_end);
  out->set_prev_kv(in.prev_kv);
}

namespace {

void CompareToPb(const Compare& in, pb::Compare* out) {
  out->set_key(in.key);
  switch (in.op) {
    case Compare::Op::kEqual: out->set_result(pb::Compare::EQUAL); break;
    case Compare::Op::kNotEqual: out->set_result(pb::Compare::NOT_EQUAL); break;
    case Compare::Op::kLess: out->set_result(pb::Compare::LESS); break;
    case Compare::Op::kGreater: out->set_result(pb::Compare::GREATER); break;
  }
  switch (in.target) {
    case Compare::Target::kVersion:
      out->set_target(pb::Compare::VERSION);
      out->set_version(in.number);
      break;
    case Compare::Target::kCreateRevision:
      out->set_target(pb::Compare::CREATE);
      out->set_create_revision(in.number);
      break;
    case Compare::Target::kModRevision:
      out->set_target(pb::Compare::MOD);
      out->set_mod_revision(in.number);
      break;
    case Compare::Target::kValue:
      out->set_target(pb::Compare::VALUE);
      out->set_value(in.value);
      break;
    case Compare::Target::kLease:
      out->set_target(pb::Compare::LEASE);
      out->set_lease(in.number);
      break;
  }
}

void OpToPb(const Op& in, pb::RequestOp* out) {
  if (auto* r = std::get_if<RangeRequest>(&in.request)) {
    ToPb(*r, out->mutable_request_range());
  } else if (auto* p = std::get_if<PutRequest>(&in.request)) {
    ToPb(*p, out->mutable_request_put());
  } else {
    ToPb(std::get<DeleteRequest>(in.request), out->mutable_request_delete_range());
  }
}

}  // namespace

void ToPb(const TxnRequest& in, pb::TxnRequest* out) {
  for (const Compare& c : in.compare) CompareToPb(c, out->add_compare());
  for (const Op& op : in.success) OpToPb(op, out->add_success());
  for (const Op& op : in.failure) OpToPb(op, out->add_failure());
}

KeyValue FromPb(const mvccpb::KeyValue& kv) {
  KeyValue out;
  out.key = kv.key();
  out.value = kv.value();
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.version = kv.version();
  out.lease = kv.lease();
  return out;
}

RangeResponse FromPb(const pb::RangeResponse& r) {
  RangeResponse out;
  out.kvs.reserve(r.kvs_size());
  for (const auto& kv : r.kvs()) out.kvs.push_back(FromPb(kv));
  out.count = r.count();
  out.more = r.more();
  out.revision = r.header().revision();
  return out;
}

PutResponse FromPb(const pb::PutResponse& r) {
  PutResponse out;
  out.revision = r.header().revision();
  if (r.has_prev_kv()) out.prev_kv = FromPb(r.prev_kv());
  return out;
}

DeleteResponse FromPb(const pb::DeleteRangeResponse& r) {
  DeleteResponse out;
  out.revision = r.header().revision();
  out.deleted = r.deleted();
  for (const auto& kv : r.prev_kvs()) out.prev_kvs.push_back(FromPb(kv));
  return out;
}

TxnResponse FromPb(const pb::TxnResponse& r) {
  TxnResponse out;
  out.succeeded = r.succeeded();
  out.revision = r.header().revision();
  for (const pb::ResponseOp& op : r.responses()) {
    OpResponse o;
    if (op.has_response_range()) {
      o.response = FromPb(op.response_range());
    } else if (op.has_response_put()) {
      o.response = FromPb(op.response_put());
    } else {
      o.response = FromPb(op.response_delete_range());
    }
    out.responses.push_back(std::move(o));
  }
  return out;
}

Event FromPb(const mvccpb::Event& e) {
  Event out;
  out.type = e.type() == mvccpb::Event::DELETE ? EventType::kDelete : EventType::kPut;
  out.kv = FromPb(e.kv());
  if (out.type == EventType::kDelete) {  // etcd sets only key and mod_revision; make it so
    out.kv.value.clear();
    out.kv.create_revision = out.kv.version = out.kv.lease = 0;
  }
  return out;
}

}  // namespace gorch::store::internal
