// The LMDB store: the Store interface over LmdbCore, the write pipeline (committer
// -> syncer -> acker, and the checkpointer; docs/store.md, "Writes"), and the lease
// table kept in memory with its reaper.
#include "gorch/store/lmdb_store.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "lmdb_apply.h"
#include "lmdb_core.h"
#include "lmdb_wal.h"
#include "lmdb_watch.h"
#include "log_flusher.h"
#include "map_prefaulter.h"
#include "sync_poller.h"

namespace gorch::store {
namespace {

using internal::BatchWriter;
using internal::LeaseChange;
using internal::LmdbCore;
using internal::MetaState;
using internal::PendingWrite;

// A batch stops growing at this many request bytes, to keep one LMDB transaction's
// dirty pages well inside its limit.
constexpr size_t kMaxBatchBytes = 64u << 20;

// A write made by PutAsync / TxnAsync: owns its request and, from submission until
// its callback has run, belongs to the pipeline.
struct AsyncWrite : PendingWrite {
  TxnRequest request;
  PutCallback put_done;  // set for PutAsync (the request is one put)
  TxnCallback txn_done;  // set for TxnAsync
};

size_t PutBytes(const TxnRequest& req) {
  size_t bytes = 0;
  for (const auto* branch : {&req.success, &req.failure}) {
    for (const Op& op : *branch) {
      if (auto* p = std::get_if<PutRequest>(&op.request)) bytes += p->key.size() + p->value.size();
    }
  }
  return bytes;
}

// A synchronous writer sleeps on its PendingWrite::finished word with a bare futex:
// cheaper than a promise/future (no shared state to allocate, no mutex). The waker
// may call FUTEX_WAKE after the waiter has already seen the 1 and moved on; the
// kernel only uses the address as a key, so that is at worst a spurious wake-up of
// a later wait at the same address, which re-checks its word.
void WaitFinished(PendingWrite* w) {
  auto* word = reinterpret_cast<uint32_t*>(&w->finished);
  while (w->finished.load(std::memory_order_acquire) == 0) {
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  }
}

void WakeFinished(PendingWrite* w) {
  auto* word = reinterpret_cast<uint32_t*>(&w->finished);
  w->finished.store(1, std::memory_order_release);
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// Hands a finished asynchronous write to its callback and frees it.
void CompleteAsync(PendingWrite* w) {
  std::unique_ptr<AsyncWrite> a(static_cast<AsyncWrite*>(w));
  if (a->put_done) {
    if (!a->status.ok()) {
      a->put_done(std::move(a->status));
    } else {
      a->put_done(std::get<PutResponse>(std::move(a->txn_response.responses.front().response)));
    }
  } else if (!a->status.ok()) {
    a->txn_done(std::move(a->status));
  } else {
    a->txn_done(std::move(a->txn_response));
  }
}

void Complete(PendingWrite* w) {
  if (w->async) {
    CompleteAsync(w);
  } else {
    WakeFinished(w);
  }
}

class LmdbStore : public Store {
 public:
  // `segment`: the write-ahead log's first segment (null without the log).
  LmdbStore(std::shared_ptr<LmdbCore> core, const MetaState& meta,
            const std::vector<std::pair<int64_t, int64_t>>& leases, std::unique_ptr<internal::WalSegment> segment)
      : core_(std::move(core)),
        clock_(core_->options().clock ? core_->options().clock : SystemClock()),
        poller_(core_->options().sync ? core_->options().sync_poll_interval : std::chrono::microseconds(0)),
        meta_(meta),
        rng_(std::random_device{}()),
        segment_(std::move(segment)),
        segment_opened_(std::chrono::steady_clock::now()),
        written_seq_(uint64_t(meta.wal_seq)),
        durable_seq_(uint64_t(meta.wal_seq)) {
    if (segment_ != nullptr) {
      flusher_ = std::make_unique<internal::LogFlusher>(
          core_->options().log_flushes_in_flight, &poller_,
          [this](uint64_t through, const Status& s) { OnFlushed(through, s); });
    }
    if (core_->uses_wal()) {  // MDB_WRITEMAP: the committer writes into the map
      MDB_stat st;
      page_bytes_ = mdb_env_stat(core_->env(), &st) == 0 ? st.ms_psize : 4096;
      prefaulter_ = std::make_unique<internal::MapPrefaulter>(core_.get());
    }
    const int64_t now = clock_->NowMillis();
    // As etcd does on recovery: every lease gets its full TTL again.
    for (auto [id, ttl] : leases) leases_[id] = LeaseState{ttl, now + ttl * 1000};
    committer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gorch-commit");
      CommitterLoop();
    });
    syncer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gorch-sync");
      SyncerLoop();
    });
    acker_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gorch-ack");
      AckerLoop();
    });
    reaper_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gorch-leases");
      ReaperLoop();
    });
    if (segment_ != nullptr) {
      checkpointer_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "gorch-ckpt");
        CheckpointerLoop();
      });
    }
  }

  ~LmdbStore() override {
    {
      std::lock_guard<std::mutex> l(reaper_mu_);
      reaper_stop_ = true;
    }
    reaper_cv_.notify_all();
    reaper_.join();
    {
      std::lock_guard<std::mutex> l(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    committer_.join();
    prefaulter_.reset();  // only the committer feeds it
    {
      std::lock_guard<std::mutex> l(sync_mu_);
      sync_stop_ = true;
    }
    sync_cv_.notify_all();
    syncer_.join();
    flusher_.reset();  // waits for the last flushes, which hand their batches to the acker
    {
      std::lock_guard<std::mutex> l(ack_mu_);
      ack_stop_ = true;
    }
    ack_cv_.notify_all();
    acker_.join();
    if (checkpointer_.joinable()) {
      {
        std::lock_guard<std::mutex> l(ckpt_mu_);
        ckpt_stop_ = true;
      }
      ckpt_cv_.notify_all();
      checkpointer_.join();
      // A last checkpoint, so that the next open has no log to replay. If it fails
      // the log stays and the next open replays it.
      if (Broken().ok() && core_->SyncToDisk() == 0) {
        std::string path = segment_->path();
        segment_.reset();
        internal::WalSegment::Recycle(core_->options().dir, path);
      }
    }
    {
      std::lock_guard<std::mutex> l(core_->watch_mu);
      core_->closed.store(true);
    }
    core_->watch_cv.notify_all();
  }

 protected:
  Result<RangeResponse> DoRange(const RangeRequest& req) override {
    auto txn = core_->BeginRead();
    if (!txn.ok()) return txn.status();
    MetaState meta;
    GORCH_RETURN_IF_ERROR(internal::ReadMeta(txn->get(), core_->tables(), &meta));
    RangeResponse out;
    GORCH_RETURN_IF_ERROR(internal::ReadRange(txn->get(), core_->tables(), req, meta, &out));
    return out;
  }

  Result<PutResponse> DoPut(const PutRequest& req) override {
    TxnRequest txn;
    txn.success.push_back(Op{req});
    auto r = RunTxn(txn, req.key.size() + req.value.size());
    if (!r.ok()) return r.status();
    return std::get<PutResponse>(std::move(r->responses.front().response));
  }

  Result<DeleteResponse> DoDelete(const DeleteRequest& req) override {
    TxnRequest txn;
    txn.success.push_back(Op{req});
    auto r = RunTxn(txn, req.key.size() + req.range_end.size());
    if (!r.ok()) return r.status();
    return std::get<DeleteResponse>(std::move(r->responses.front().response));
  }

  Result<TxnResponse> DoTxn(const TxnRequest& req) override { return RunTxn(req, PutBytes(req)); }

  void DoPutAsync(PutRequest req, PutCallback done) override {
    auto a = std::make_unique<AsyncWrite>();
    a->bytes = req.key.size() + req.value.size();
    a->request.success.push_back(Op{std::move(req)});
    a->put_done = std::move(done);
    SubmitAsync(std::move(a));
  }

  void DoTxnAsync(TxnRequest req, TxnCallback done) override {
    auto a = std::make_unique<AsyncWrite>();
    a->bytes = PutBytes(req);
    a->request = std::move(req);
    a->txn_done = std::move(done);
    SubmitAsync(std::move(a));
  }

  Result<std::unique_ptr<WatchStream>> DoWatch(const WatchRequest& req) override {
    int64_t next = req.start_revision > 0 ? req.start_revision : core_->committed_revision.load() + 1;
    return internal::NewLmdbWatchStream(core_, req, next);
  }

  Status DoCompact(int64_t revision) override {
    PendingWrite w;
    w.kind = PendingWrite::Kind::kCompact;
    w.compact_revision = revision;
    GORCH_RETURN_IF_ERROR(Submit(&w));
    return w.status;
  }

  Result<LeaseGrantResponse> DoLeaseGrant(int64_t ttl_seconds, int64_t id) override {
    PendingWrite w;
    w.kind = PendingWrite::Kind::kLeaseGrant;
    w.lease_id = id;
    w.ttl = ttl_seconds;
    GORCH_RETURN_IF_ERROR(Submit(&w));
    if (!w.status.ok()) return w.status;
    return w.grant;
  }

  Result<int64_t> DoLeaseKeepAlive(int64_t id) override {
    std::lock_guard<std::mutex> l(lease_mu_);
    const int64_t now = clock_->NowMillis();
    auto it = leases_.find(id);
    if (it == leases_.end() || it->second.expiry_ms <= now) return LeaseNotFound(id);
    it->second.expiry_ms = now + it->second.ttl * 1000;
    return it->second.ttl;
  }

  Status DoLeaseRevoke(int64_t id) override {
    PendingWrite w;
    w.kind = PendingWrite::Kind::kLeaseRevoke;
    w.lease_id = id;
    GORCH_RETURN_IF_ERROR(Submit(&w));
    return w.status;
  }

  Result<LeaseInfo> DoLeaseTimeToLive(int64_t id, bool with_keys) override {
    LeaseInfo info;
    {
      std::lock_guard<std::mutex> l(lease_mu_);
      const int64_t now = clock_->NowMillis();
      auto it = leases_.find(id);
      if (it == leases_.end() || it->second.expiry_ms <= now) return LeaseNotFound(id);
      info.id = id;
      info.granted_ttl = it->second.ttl;
      info.ttl = (it->second.expiry_ms - now) / 1000;
    }
    if (with_keys) {
      auto txn = core_->BeginRead();
      if (!txn.ok()) return txn.status();
      GORCH_RETURN_IF_ERROR(internal::ReadLeaseKeys(txn->get(), core_->tables(), id, &info.keys));
    }
    return info;
  }

  Result<StoreStats> DoStats() override {
    auto txn = core_->BeginRead();
    if (!txn.ok()) return txn.status();
    MetaState meta;
    GORCH_RETURN_IF_ERROR(internal::ReadMeta(txn->get(), core_->tables(), &meta));
    MDB_stat kv_stat, env_stat;
    int rc = mdb_stat(txn->get(), core_->tables().kv, &kv_stat);
    if (rc == 0) rc = mdb_env_stat(core_->env(), &env_stat);
    if (rc != 0) return internal::MdbError(rc, "stats");
    MDB_envinfo info;
    mdb_env_info(core_->env(), &info);
    StoreStats s;
    s.backend = "lmdb";
    s.location = core_->options().dir;
    s.revision = meta.revision;
    s.compact_revision = meta.compact_revision;
    s.keys = int64_t(kv_stat.ms_entries);
    s.size_bytes = int64_t(info.me_last_pgno + 1) * env_stat.ms_psize;
    std::lock_guard<std::mutex> l(lease_mu_);
    s.leases = int64_t(leases_.size());
    return s;
  }

 private:
  struct LeaseState {
    int64_t ttl = 0;        // seconds granted
    int64_t expiry_ms = 0;  // on clock_
  };

  // A batch the committer has committed, waiting for the syncer.
  struct Committed {
    std::vector<PendingWrite*> writes;
    bool failed = false;  // not committed; each write holds its error
    MetaState meta;
    std::vector<LeaseChange> lease_changes;
    std::string redo;  // with the log: the batch's table changes (lmdb_wal.h)
  };

  static Status LeaseNotFound(int64_t id) {
    return Status::NotFound("lease " + std::to_string(id) + " not found (or expired)");
  }

  Result<TxnResponse> RunTxn(const TxnRequest& txn, size_t bytes) {
    PendingWrite w;
    w.kind = PendingWrite::Kind::kTxn;
    w.txn = &txn;
    w.bytes = bytes;
    GORCH_RETURN_IF_ERROR(Submit(&w));
    if (!w.status.ok()) return w.status;
    return std::move(w.txn_response);
  }

  // Queues `w` for the committer and waits until its batch is durable (or failed).
  Status Submit(PendingWrite* w) {
    GORCH_RETURN_IF_ERROR(Enqueue(w));
    WaitFinished(w);
    return Status::Ok();
  }

  // Queues an asynchronous write; the acker completes it. A closing store
  // completes it at once with Unavailable.
  void SubmitAsync(std::unique_ptr<AsyncWrite> a) {
    a->kind = PendingWrite::Kind::kTxn;
    a->txn = &a->request;
    a->async = true;
    if (tls_deferring_store == this) {  // from a callback on this store's acker
      tls_deferred->push_back(a.release());
      return;
    }
    Status queued = Enqueue(a.get());
    if (queued.ok()) {
      a.release();  // the pipeline's now
      return;
    }
    a->status = queued;
    CompleteAsync(a.release());
  }

  Status Enqueue(PendingWrite* w) {
    {
      std::lock_guard<std::mutex> l(queue_mu_);
      if (stopping_) return Status::Unavailable("store " + core_->options().dir + " is closing");
      queue_.push_back(w);
    }
    queue_cv_.notify_one();
    return Status::Ok();
  }

  void CommitterLoop() {
    const size_t max_batch = std::max<size_t>(1, core_->options().max_batch);
    for (;;) {
      std::vector<PendingWrite*> batch;
      {
        std::unique_lock<std::mutex> l(queue_mu_);
        queue_cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued is done
        size_t bytes = 0;
        while (!queue_.empty() && batch.size() < max_batch && bytes < kMaxBatchBytes) {
          bytes += queue_.front()->bytes;
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      {
        std::lock_guard<std::mutex> l(sync_mu_);
        committing_ = true;
      }
      CommitBatch(std::move(batch));
    }
  }

  // Applies the batch in one LMDB transaction and commits it (with the log: without
  // a sync, recording its redo list; without: syncing its data pages); grows the map
  // and retries from scratch if it filled up. The syncer then makes the batch
  // durable and the acker acknowledges it, while this thread goes on to the next.
  void CommitBatch(std::vector<PendingWrite*> batch) {
    Status status = Broken();
    Committed done;
    for (; status.ok();) {
      MDB_txn* txn = nullptr;
      int rc = mdb_txn_begin(core_->env(), nullptr, 0, &txn);
      if (rc != 0) {
        status = internal::MdbError(rc, "begin write transaction");
        break;
      }
      BatchWriter writer(txn, core_->tables(), meta_, [this](int64_t id) { return LeaseExpired(id); }, &rng_);
      std::string redo;
      if (segment_ != nullptr) {
        writer.SetWalSeq(meta_.wal_seq + 1);
        writer.RecordRedo(&redo);
      }
      Status s;
      for (PendingWrite* w : batch) {
        s = writer.Apply(w);
        if (!s.ok()) break;
      }
      if (s.ok()) s = writer.Finish();
      bool map_full = false;
      if (s.ok()) {
        internal::SyncPoller::Scope flushing(poller_);
        rc = mdb_txn_commit(txn);
        if (rc != 0) s = internal::MdbError(rc, "commit");
        map_full = rc == MDB_MAP_FULL;
      } else {
        mdb_txn_abort(txn);
        map_full = writer.last_mdb_rc() == MDB_MAP_FULL;
      }
      if (s.ok()) {
        if (prefaulter_ != nullptr) {
          MDB_envinfo info;
          if (mdb_env_info(core_->env(), &info) == 0) prefaulter_->NoteUsed((info.me_last_pgno + 1) * page_bytes_);
        }
        meta_ = writer.meta();
        done.meta = meta_;
        done.lease_changes = writer.lease_changes();
        done.redo = std::move(redo);
        break;
      }
      if (map_full) {
        Status grown = core_->Grow();
        if (grown.ok()) continue;
        s = grown;
      }
      status = s;
    }
    if (!status.ok()) {
      for (PendingWrite* w : batch) w->status = status;
      done.failed = true;
    }
    done.writes = std::move(batch);
    {
      std::lock_guard<std::mutex> l(sync_mu_);
      committed_.push_back(std::move(done));
      committing_ = false;
    }
    sync_cv_.notify_one();
  }

  // Makes committed batches durable (one log append and fdatasync, or one LMDB
  // sync, for all that are waiting) and hands them, in commit order, to the acker.
  void SyncerLoop() {
    for (;;) {
      std::deque<Committed> ready;
      {
        std::unique_lock<std::mutex> l(sync_mu_);
        sync_cv_.wait(l, [&] { return sync_stop_ || !committed_.empty(); });
        if (committed_.empty()) return;
        // A batch being applied right now joins this flush: waiting for it costs
        // less than a flush of its own, and the flush carries more writes.
        if (committing_) sync_cv_.wait(l, [&] { return !committing_; });
        ready.swap(committed_);
      }
      if (segment_ != nullptr) {
        WriteToLog(std::move(ready));
        MaybeRotate();
        continue;
      }
      Status synced;
      if (core_->options().sync) {
        internal::SyncPoller::Scope flushing(poller_);
        int rc = core_->SyncToDisk();
        if (rc != 0) {
          synced = internal::MdbError(rc, "sync " + core_->options().dir);
          SetBroken(synced);
        }
      }
      HandToAcker(std::move(ready), synced);
    }
  }

  // Hands batches, in commit order, to the acker; `synced` not ok fails those that
  // had not failed already.
  void HandToAcker(std::deque<Committed> batches, const Status& synced) {
    {
      std::lock_guard<std::mutex> l(ack_mu_);
      for (Committed& c : batches) {
        if (!c.failed && !synced.ok()) {
          c.failed = true;
          for (PendingWrite* w : c.writes) w->status = synced;
        }
        to_ack_.push_back(std::move(c));
      }
    }
    ack_cv_.notify_one();
  }

  // In commit order, publishes durable batches to watches and leases and
  // acknowledges their writers. Waking hundreds of writer threads takes a while, so
  // it runs beside the syncer, which meanwhile makes the next batches durable.
  void AckerLoop() {
    for (;;) {
      std::deque<Committed> durable;
      {
        std::unique_lock<std::mutex> l(ack_mu_);
        ack_cv_.wait(l, [&] { return ack_stop_ || !to_ack_.empty(); });
        if (to_ack_.empty()) return;
        durable.swap(to_ack_);
      }
      // Writes that callbacks submit meanwhile are queued together (up to
      // kDeferMax at a time), so that the committer takes them as one batch rather
      // than waking for the first and starting a flush with it alone.
      std::vector<PendingWrite*> deferred;
      tls_deferring_store = this;
      tls_deferred = &deferred;
      for (Committed& c : durable) {
        if (!c.failed) Publish(c.meta, c.lease_changes);
        for (PendingWrite* w : c.writes) {
          Complete(w);
          if (deferred.size() >= kDeferMax) EnqueueDeferred(&deferred);
        }
      }
      tls_deferring_store = nullptr;
      tls_deferred = nullptr;
      EnqueueDeferred(&deferred);
    }
  }

  static constexpr size_t kDeferMax = 256;
  static thread_local LmdbStore* tls_deferring_store;
  static thread_local std::vector<PendingWrite*>* tls_deferred;

  void EnqueueDeferred(std::vector<PendingWrite*>* deferred) {
    if (deferred->empty()) return;
    bool queued = false;
    {
      std::lock_guard<std::mutex> l(queue_mu_);
      if (!stopping_) {
        queue_.insert(queue_.end(), deferred->begin(), deferred->end());
        queued = true;
      }
    }
    if (queued) {
      queue_cv_.notify_one();
      deferred->clear();
      return;
    }
    // Closing: complete them here, as SubmitAsync would have; what their callbacks
    // submit is not deferred again (it fails at once).
    std::vector<PendingWrite*> closing;
    closing.swap(*deferred);
    LmdbStore* saved = std::exchange(tls_deferring_store, nullptr);
    for (PendingWrite* w : closing) {
      w->status = Status::Unavailable("store " + core_->options().dir + " is closing");
      CompleteAsync(w);
    }
    tls_deferring_store = saved;
  }

  // Appends the records of the batches in `ready` to the log (one pwrite) and
  // starts a flush of it, beside any flushes still running (log_flusher.h);
  // OnFlushed hands the batches on once it is done. A failure stops the store
  // taking writes. Syncer thread only.
  void WriteToLog(std::deque<Committed> ready) {
    std::string buf;
    const uint64_t durable = durable_seq_.load();
    uint64_t last = written_seq_;
    for (const Committed& c : ready) {
      if (c.failed) continue;
      internal::AppendWalRecord(&buf, uint64_t(c.meta.wal_seq), durable, c.redo);
      last = uint64_t(c.meta.wal_seq);
    }
    Status s = Broken();
    if (s.ok() && !buf.empty()) s = segment_->Append(buf);
    if (!s.ok()) SetBroken(s);
    const uint64_t ticket = ++flush_ticket_;
    {
      std::lock_guard<std::mutex> l(flush_mu_);
      for (Committed& c : ready) {
        if (!c.failed && !s.ok()) {
          c.failed = true;
          for (PendingWrite* w : c.writes) w->status = s;
        }
        flushing_.emplace_back(ticket, std::move(c));
      }
    }
    // Even with nothing new written (every batch failed) the batches go through a
    // flush ticket, so that they are handed on after the batches before them.
    flusher_->Start(ticket, segment_->fd(), segment_->path());
    if (s.ok()) written_seq_ = last;
  }

  // The flusher's report: every flush through ticket `through` has finished.
  void OnFlushed(uint64_t through, const Status& status) {
    std::deque<Committed> done;
    {
      std::lock_guard<std::mutex> l(flush_mu_);
      while (!flushing_.empty() && flushing_.front().first <= through) {
        done.push_back(std::move(flushing_.front().second));
        flushing_.pop_front();
      }
    }
    if (!status.ok()) {
      SetBroken(status);
    } else {
      for (const Committed& c : done) {
        if (!c.failed) durable_seq_.store(uint64_t(c.meta.wal_seq));
      }
    }
    HandToAcker(std::move(done), status);
  }

  // Starts a new log segment once the current one is big or old enough, and hands
  // the old one to the checkpointer. Syncer thread only.
  void MaybeRotate() {
    const auto now = std::chrono::steady_clock::now();
    const LmdbOptions& o = core_->options();
    if (!Broken().ok() || segment_->bytes() == 0 ||
        (segment_->bytes() < o.checkpoint_bytes && now - segment_opened_ < o.checkpoint_interval)) {
      return;
    }
    // The old segment's flushes finish before it is handed over (and closed).
    flusher_->Drain();
    if (!Broken().ok()) return;
    auto next = internal::WalSegment::Create(o.dir, written_seq_ + 1);
    if (!next.ok()) {
      SetBroken(next.status());
      return;
    }
    {
      std::lock_guard<std::mutex> l(ckpt_mu_);
      to_checkpoint_.push_back(std::move(segment_));
    }
    ckpt_cv_.notify_one();
    segment_ = std::move(*next);
    segment_opened_ = now;
  }

  // Syncs LMDB (every batch of a handed-over segment was committed to LMDB before
  // its record was written) and then removes the segments it covers.
  void CheckpointerLoop() {
    for (;;) {
      std::vector<std::unique_ptr<internal::WalSegment>> done;
      {
        std::unique_lock<std::mutex> l(ckpt_mu_);
        ckpt_cv_.wait(l, [&] { return ckpt_stop_ || !to_checkpoint_.empty(); });
        if (to_checkpoint_.empty()) return;
        done.swap(to_checkpoint_);
      }
      int rc = core_->SyncToDisk();
      if (rc != 0) {
        SetBroken(internal::MdbError(rc, "checkpoint (sync) " + core_->options().dir));
        return;  // the segments stay; the next open replays them
      }
      for (auto& seg : done) {
        std::string path = seg->path();
        seg.reset();
        // A leftover segment is harmless: replay skips what LMDB has.
        internal::WalSegment::Recycle(core_->options().dir, path);
      }
    }
  }

  void SetBroken(const Status& cause) {
    std::lock_guard<std::mutex> l(broken_mu_);
    if (broken_.ok()) {
      broken_ = Status::IOError("store " + core_->options().dir + " stopped taking writes after a failed sync (" +
                                cause.message() + "); reopen it");
    }
  }

  Status Broken() {
    std::lock_guard<std::mutex> l(broken_mu_);
    return broken_;
  }

  void Publish(const MetaState& meta, const std::vector<LeaseChange>& lease_changes) {
    if (!lease_changes.empty()) {
      std::lock_guard<std::mutex> l(lease_mu_);
      const int64_t now = clock_->NowMillis();
      for (const LeaseChange& c : lease_changes) {
        if (c.ttl > 0) {
          leases_[c.id] = LeaseState{c.ttl, now + c.ttl * 1000};
        } else {
          leases_.erase(c.id);
        }
      }
    }
    if (meta.revision != core_->committed_revision.load()) {
      {
        std::lock_guard<std::mutex> l(core_->watch_mu);
        core_->committed_revision.store(meta.revision);
      }
      core_->watch_cv.notify_all();
    }
  }

  bool LeaseExpired(int64_t id) {
    std::lock_guard<std::mutex> l(lease_mu_);
    auto it = leases_.find(id);
    return it == leases_.end() || it->second.expiry_ms <= clock_->NowMillis();
  }

  // Every lease_check_interval: revokes (through the committer, one write each, with
  // delete events for its keys) every lease whose time is up.
  void ReaperLoop() {
    std::unique_lock<std::mutex> l(reaper_mu_);
    while (!reaper_stop_) {
      reaper_cv_.wait_for(l, core_->options().lease_check_interval, [&] { return reaper_stop_; });
      if (reaper_stop_) break;
      l.unlock();
      std::vector<int64_t> expired;
      {
        std::lock_guard<std::mutex> ll(lease_mu_);
        const int64_t now = clock_->NowMillis();
        for (const auto& [id, st] : leases_) {
          if (st.expiry_ms <= now) expired.push_back(id);
        }
      }
      for (int64_t id : expired) {
        PendingWrite w;
        w.kind = PendingWrite::Kind::kLeaseExpire;
        w.lease_id = id;
        Submit(&w);  // a failure leaves the lease for the next round
      }
      l.lock();
    }
  }

  std::shared_ptr<LmdbCore> core_;
  std::shared_ptr<Clock> clock_;
  internal::SyncPoller poller_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite*> queue_;
  bool stopping_ = false;
  std::thread committer_;
  MetaState meta_;       // committer thread only: the newest commit, durable or not
  std::mt19937_64 rng_;  // committer thread only (lease ids)

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::deque<Committed> committed_;
  bool committing_ = false;  // the committer is applying a batch
  bool sync_stop_ = false;
  std::thread syncer_;
  std::mutex broken_mu_;
  Status broken_;  // set for good once a sync fails

  std::mutex ack_mu_;
  std::condition_variable ack_cv_;
  std::deque<Committed> to_ack_;  // durable (or failed), in commit order
  bool ack_stop_ = false;
  std::thread acker_;

  // The write-ahead log (null without it). segment_, segment_opened_,
  // written_seq_ and flush_ticket_ belong to the syncer thread (and the destructor
  // after it).
  std::unique_ptr<internal::WalSegment> segment_;
  std::chrono::steady_clock::time_point segment_opened_;
  uint64_t written_seq_;                // the last batch whose record is written
  std::atomic<uint64_t> durable_seq_;  // the last batch whose record is flushed
  uint64_t flush_ticket_ = 0;
  std::unique_ptr<internal::LogFlusher> flusher_;
  std::mutex flush_mu_;
  std::deque<std::pair<uint64_t, Committed>> flushing_;  // (ticket, batch), in commit order
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  std::vector<std::unique_ptr<internal::WalSegment>> to_checkpoint_;
  bool ckpt_stop_ = false;
  std::thread checkpointer_;

  std::unique_ptr<internal::MapPrefaulter> prefaulter_;  // with the log only
  size_t page_bytes_ = 0;

  std::mutex lease_mu_;
  std::unordered_map<int64_t, LeaseState> leases_;

  std::mutex reaper_mu_;
  std::condition_variable reaper_cv_;
  bool reaper_stop_ = false;
  std::thread reaper_;
};

thread_local LmdbStore* LmdbStore::tls_deferring_store = nullptr;
thread_local std::vector<PendingWrite*>* LmdbStore::tls_deferred = nullptr;

}  // namespace

Result<std::unique_ptr<Store>> OpenLmdbStore(const LmdbOptions& options) {
  auto core = std::make_shared<LmdbCore>(options);
  MetaState meta;
  std::vector<std::pair<int64_t, int64_t>> leases;
  GORCH_RETURN_IF_ERROR(core->Open(&meta, &leases));
  std::unique_ptr<internal::WalSegment> segment;
  if (core->uses_wal()) {
    auto created = internal::WalSegment::Create(options.dir, uint64_t(meta.wal_seq) + 1);
    if (!created.ok()) return created.status();
    segment = std::move(*created);
  }
  return std::unique_ptr<Store>(new LmdbStore(std::move(core), meta, leases, std::move(segment)));
}

}  // namespace gorch::store
