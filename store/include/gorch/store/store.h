// The state store: a revisioned key-value store with etcd v3 semantics.
//
// Every write transaction that changes something gets the store's next global
// revision; each key carries create_revision, mod_revision and version; reads can be
// served at a past revision (a consistent snapshot); a compare-and-swap transaction is
// how controllers write; a watch delivers every change after a revision, in order,
// with no gaps and no duplicates; leases make keys vanish when their holder stops
// renewing. Two implementations share this interface and one conformance suite:
// LMDB (lmdb_store.h, embedded, the default) and etcd (etcd_store.h).
//
// Limits, the same for both (as etcd's defaults): a request (keys + values + range
// ends of all its operations) may hold at most kMaxRequestBytes; a key at most
// kMaxKeyBytes; a transaction at most kMaxTxnOps operations per branch. Breaking a
// limit is ResourceExhausted; an empty key, a range_end <= key or a negative
// limit/revision is InvalidArgument; a read at a revision newer than the store's is
// InvalidArgument; at a compacted revision, Compacted.
//
// Thread safety: every method of Store may be called from any number of threads at
// once. A WatchStream is used by one thread at a time, except Cancel().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::store {

inline constexpr size_t kMaxRequestBytes = 1536 * 1024;  // etcd's --max-request-bytes
inline constexpr size_t kMaxKeyBytes = 511;              // LMDB's key size limit
inline constexpr size_t kMaxTxnOps = 128;                // etcd's --max-txn-ops
inline constexpr int64_t kMaxLeaseTtlSeconds = 9'000'000'000;  // etcd's MaxLeaseTTL

// One key's state. For a delete event only key and mod_revision (the revision of
// the delete) are set.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // revision that created the key (since its last delete)
  int64_t mod_revision = 0;     // revision of the last change
  int64_t version = 0;          // changes since creation: 1 after the first put
  int64_t lease = 0;            // attached lease, 0 for none

  bool operator==(const KeyValue&) const = default;
};

// The smallest key greater than every key that starts with `prefix` ("/a/" -> "/a0");
// "\0" (meaning "no upper bound") when there is none (prefix empty or all 0xff).
std::string PrefixEnd(std::string_view prefix);

// Reads `key` alone (range_end empty), every key >= key (range_end "\0"), or the
// keys in [key, range_end), in key order.
struct RangeRequest {
  std::string key;
  std::string range_end;
  int64_t limit = 0;      // at most this many kvs; 0 = no limit
  int64_t revision = 0;   // read at this revision; 0 = the newest
  bool keys_only = false;   // values left empty
  bool count_only = false;  // kvs left empty; count still set

  static RangeRequest Key(std::string key, int64_t revision = 0);
  // Every key starting with `prefix`; an empty prefix means every key.
  static RangeRequest Prefix(std::string_view prefix, int64_t revision = 0);
};

struct RangeResponse {
  std::vector<KeyValue> kvs;
  int64_t count = 0;     // keys in the range, ignoring limit
  bool more = false;     // true when limit cut the result short
  int64_t revision = 0;  // the store revision the read saw (the header revision)
};

struct PutRequest {
  std::string key;
  std::string value;
  int64_t lease = 0;     // attach to this lease (must exist); 0 detaches
  bool prev_kv = false;  // return the previous state in PutResponse::prev_kv
};

struct PutResponse {
  int64_t revision = 0;  // the revision of this put
  std::optional<KeyValue> prev_kv;
};

// Deletes `key`, or a range with the same rules as RangeRequest.
struct DeleteRequest {
  std::string key;
  std::string range_end;
  bool prev_kv = false;

  static DeleteRequest Key(std::string key);
  static DeleteRequest Prefix(std::string_view prefix);
};

struct DeleteResponse {
  int64_t revision = 0;  // the revision of the delete; unchanged if nothing was deleted
  int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;  // when prev_kv was set
};

// One test of a transaction's guard. A missing key has version, create_revision,
// mod_revision and lease 0; a Value compare on a missing key is always false (as in
// etcd, whatever the operator).
struct Compare {
  enum class Target { kVersion, kCreateRevision, kModRevision, kValue, kLease };
  enum class Op { kEqual, kNotEqual, kLess, kGreater };

  std::string key;
  Target target = Target::kVersion;
  Op op = Op::kEqual;
  int64_t number = 0;  // for every target but kValue
  std::string value;   // for kValue (bytewise comparison)

  static Compare Version(std::string key, Op op, int64_t version);
  static Compare CreateRevision(std::string key, Op op, int64_t revision);
  static Compare ModRevision(std::string key, Op op, int64_t revision);
  static Compare Value(std::string key, Op op, std::string value);
  static Compare Lease(std::string key, Op op, int64_t lease);
};

// One operation of a transaction's branch.
struct Op {
  std::variant<RangeRequest, PutRequest, DeleteRequest> request;

  static Op Range(RangeRequest r) { return Op{std::move(r)}; }
  static Op Put(std::string key, std::string value, int64_t lease = 0);
  static Op Delete(DeleteRequest d) { return Op{std::move(d)}; }
};

struct OpResponse {
  std::variant<RangeResponse, PutResponse, DeleteResponse> response;
};

// If every compare holds, applies `success` in order, else `failure`, atomically.
// All changes of one transaction share one revision. Within a branch a key may be
// put at most once and not also be in a deleted range (InvalidArgument), as in etcd.
// A range in a branch sees the branch's earlier writes.
struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<Op> success;
  std::vector<Op> failure;
};

struct TxnResponse {
  bool succeeded = false;  // which branch ran
  int64_t revision = 0;    // the store revision after the transaction
  std::vector<OpResponse> responses;  // one per op of the branch that ran
};

enum class EventType { kPut, kDelete };

struct Event {
  EventType type = EventType::kPut;
  KeyValue kv;  // the state after a put; key + mod_revision for a delete

  bool operator==(const Event&) const = default;
};

// Which keys a watch follows (same rules as RangeRequest) and from where.
struct WatchRequest {
  std::string key;
  std::string range_end;
  int64_t start_revision = 0;  // first revision delivered (inclusive); 0 = the next one

  static WatchRequest Prefix(std::string_view prefix, int64_t start_revision = 0);
};

// A pull-based stream of events. Events arrive in revision order (and, within a
// revision, in the order the transaction made them), with no gaps and no duplicates,
// also across an internal reconnect (etcd). Errors are terminal: every later Next()
// returns the same error.
class WatchStream {
 public:
  virtual ~WatchStream() = default;

  // Waits up to `timeout` for events. Returns the next non-empty batch, or an empty
  // vector when the timeout passed first. Errors: Compacted when the next revision to
  // deliver was compacted away (re-list, then watch from the list's revision + 1);
  // Aborted after Cancel(); Unavailable when the backend is gone (closed store,
  // etcd unreachable for longer than its reconnect window).
  virtual Result<std::vector<Event>> Next(std::chrono::milliseconds timeout) = 0;

  // Stops the stream; a blocked Next() returns Aborted. Thread-safe, idempotent.
  virtual void Cancel() = 0;
};

struct LeaseGrantResponse {
  int64_t id = 0;
  int64_t ttl = 0;  // seconds, as granted
};

struct LeaseInfo {
  int64_t id = 0;
  int64_t ttl = 0;          // seconds left (rounded down)
  int64_t granted_ttl = 0;  // seconds granted
  std::vector<std::string> keys;  // attached keys, when asked for
};

struct StoreStats {
  std::string backend;            // "lmdb" or "etcd"
  std::string location;           // data directory or endpoints
  int64_t revision = 0;           // current revision
  int64_t compact_revision = -1;  // -1 when the backend does not say (etcd)
  int64_t keys = 0;               // live keys
  int64_t size_bytes = 0;         // bytes on disk (LMDB map in use / etcd db size)
  int64_t leases = 0;             // live leases
};

// Called exactly once with the outcome of an asynchronous write (Store::PutAsync,
// Store::TxnAsync): what Put / Txn would have returned.
using PutCallback = std::function<void(Result<PutResponse>)>;
using TxnCallback = std::function<void(Result<TxnResponse>)>;

// The store. Public methods validate their request (the limits above) and then call
// the backend's Do* method; a backend never sees an invalid request.
class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Reads a range. Errors: InvalidArgument (bad request, future revision),
  // Compacted, Unavailable.
  Result<RangeResponse> Range(const RangeRequest& req);
  // The key's state at `revision` (0 = newest), or nullopt if it does not exist.
  Result<std::optional<KeyValue>> Get(std::string_view key, int64_t revision = 0);

  // Writes a key; returns once the write is durable. Errors: InvalidArgument,
  // ResourceExhausted (too large, store full), NotFound (lease), Unavailable.
  Result<PutResponse> Put(const PutRequest& req);
  // Shorthand: puts and returns the new revision.
  Result<int64_t> Put(std::string_view key, std::string_view value, int64_t lease = 0);

  // Deletes a key or range; returns once durable.
  Result<DeleteResponse> Delete(const DeleteRequest& req);

  // Runs a transaction (see TxnRequest); returns once durable.
  Result<TxnResponse> Txn(const TxnRequest& req);

  // Asynchronous writes: as Put / Txn, but they return at once, and `done` is called
  // exactly once with the result after the write is durable (the same moment Put /
  // Txn would return) or has failed. One thread can keep many writes in flight.
  // - `done` runs on one of the store's threads; for a request that fails
  //   validation, or a store that is closing, it runs in the caller's thread before
  //   PutAsync / TxnAsync returns. It must be quick and must not call the store's
  //   blocking methods (Put, Txn, Delete, Compact, Lease*, Range, Stats): they may
  //   wait for the thread that runs it. It may call PutAsync / TxnAsync.
  // - Order: writes in flight at the same time are ordered as Puts made at the same
  //   time by different threads are: each gets its own revision, in an order the
  //   store picks (LMDB takes them in submission order; etcd may reorder them). A
  //   write submitted after another's `done` was called gets a later revision.
  // - Destroying the store waits until every submitted write's `done` has run.
  void PutAsync(PutRequest req, PutCallback done);
  void TxnAsync(TxnRequest req, TxnCallback done);

  // Starts a watch. Events from start_revision on; a compacted start revision is
  // reported by the stream's first Next() as Compacted. With start_revision 0, every
  // change committed after Watch() returns is delivered.
  Result<std::unique_ptr<WatchStream>> Watch(const WatchRequest& req);

  // Drops history older than `revision`: reads below it and watches starting below
  // it then fail with Compacted; the newest state of every key stays. Errors:
  // InvalidArgument (revision in the future), Compacted (already compacted there).
  Status Compact(int64_t revision);

  // Grants a lease of `ttl_seconds` (1..kMaxLeaseTtlSeconds); `id` 0 lets the store
  // choose. Errors: InvalidArgument, AlreadyExists (id in use).
  Result<LeaseGrantResponse> LeaseGrant(int64_t ttl_seconds, int64_t id = 0);
  // Renews the lease to its full TTL; returns the TTL. NotFound when expired/unknown.
  Result<int64_t> LeaseKeepAlive(int64_t id);
  // Revokes the lease and deletes its keys in one write. NotFound when unknown.
  Status LeaseRevoke(int64_t id);
  // The lease's remaining time (and keys). NotFound when expired/unknown.
  Result<LeaseInfo> LeaseTimeToLive(int64_t id, bool with_keys = false);

  // Numbers for `gorch state stats`.
  Result<StoreStats> Stats();

 protected:
  virtual Result<RangeResponse> DoRange(const RangeRequest& req) = 0;
  virtual Result<PutResponse> DoPut(const PutRequest& req) = 0;
  virtual Result<DeleteResponse> DoDelete(const DeleteRequest& req) = 0;
  virtual Result<TxnResponse> DoTxn(const TxnRequest& req) = 0;
  // Default: the synchronous DoPut / DoTxn in the caller's thread, then `done`.
  virtual void DoPutAsync(PutRequest req, PutCallback done);
  virtual void DoTxnAsync(TxnRequest req, TxnCallback done);
  virtual Result<std::unique_ptr<WatchStream>> DoWatch(const WatchRequest& req) = 0;
  virtual Status DoCompact(int64_t revision) = 0;
  virtual Result<LeaseGrantResponse> DoLeaseGrant(int64_t ttl_seconds, int64_t id) = 0;
  virtual Result<int64_t> DoLeaseKeepAlive(int64_t id) = 0;
  virtual Status DoLeaseRevoke(int64_t id) = 0;
  virtual Result<LeaseInfo> DoLeaseTimeToLive(int64_t id, bool with_keys) = 0;
  virtual Result<StoreStats> DoStats() = 0;
};

// Request validation shared by both backends (and exposed for tests). Each returns
// ok or the InvalidArgument / ResourceExhausted error the Store method would return.
Status ValidateRange(const RangeRequest& req);
Status ValidatePut(const PutRequest& req);
Status ValidateDelete(const DeleteRequest& req);
Status ValidateTxn(const TxnRequest& req);
Status ValidateWatch(const WatchRequest& req);

}  // namespace gorch::store
