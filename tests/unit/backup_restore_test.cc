// The online backup end to end inside one process, on a real RocksDB: Snapshotter (checkpoint +
// stream), the stream decoded into a BackupDirWriter, then RestoreBackup into a new data
// directory that opens with what was written before the checkpoint and nothing after, and with
// the waiting messages of the queue's own database. And every
// refusal of a restore: a non-empty or held data directory, a damaged, incomplete or foreign
// backup.
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "backup/backup_stream.h"
#include "backup/backup_writer.h"
#include "backup/restore.h"
#include "backup/snapshotter.h"
#include "queue/queue_rows.h"
#include "store/rocksdb_engine.h"
#include "support/temp_dir.h"
#include "support/test_engine.h"

namespace estoque::backup {
namespace {

namespace fs = std::filesystem;
using estoque::test_support::TempDir;

std::unique_ptr<store::RocksEngine> OpenEngine(const std::string& dir) {
  return test_support::OpenTestEngine(dir);
}

void Put(store::RocksEngine& engine, const std::string& key, const std::string& value) {
  ASSERT_TRUE(engine.db()->Put(rocksdb::WriteOptions(), engine.products(), key, value).ok());
}

std::optional<std::string> Get(store::RocksEngine& engine, const std::string& key) {
  std::string value;
  rocksdb::Status status = engine.db()->Get(rocksdb::ReadOptions(), engine.products(), key, &value);
  if (status.IsNotFound()) return std::nullopt;
  EXPECT_TRUE(status.ok()) << status.ToString();
  return value;
}

// Reads `stream` to its end in pieces of `piece_bytes` into a new backup directory `dir`.
Status WriteBackup(SnapshotStream& stream, const std::string& dir, std::size_t piece_bytes = 64 * 1024) {
  fs::create_directories(dir);
  BackupDirWriter writer(dir);
  BackupStreamDecoder decoder(&writer);
  std::vector<char> buffer(piece_bytes);
  while (true) {
    Result<std::size_t> got = stream.Read(buffer);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    if (Status s = decoder.Feed(std::string_view(buffer.data(), *got)); !s.ok()) return s;
  }
  EXPECT_EQ(stream.bytes_produced(), stream.size_bytes());
  return decoder.Finish();
}

class BackupRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(data_dir_);
    ASSERT_NE(engine_, nullptr);
    Result<std::unique_ptr<Snapshotter>> snapshotter = Snapshotter::Open(engine_.get());
    ASSERT_TRUE(snapshotter.ok()) << snapshotter.status().ToString();
    snapshotter_ = std::move(*snapshotter);
  }

  // Writes `count` keys, takes a backup into backup_dir_, then writes "after".
  void MakeBackup(int count = 2000) {
    for (int i = 0; i < count; ++i) Put(*engine_, "k" + std::to_string(i), std::string(100, static_cast<char>('a' + i % 26)));
    Result<std::unique_ptr<SnapshotStream>> stream = snapshotter_->Begin();
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    Put(*engine_, "after", "not in the backup");
    ASSERT_TRUE(WriteBackup(**stream, backup_dir_).ok());
  }

  TempDir dir_;
  std::string data_dir_ = dir_.path() + "/data";
  std::string backup_dir_ = dir_.path() + "/backup";
  std::string restored_dir_ = dir_.path() + "/restored";
  std::unique_ptr<store::RocksEngine> engine_;
  std::unique_ptr<Snapshotter> snapshotter_;
};

TEST_F(BackupRestoreTest, RestoredCopyHoldsEveryWriteBeforeTheCheckpointAndNoneAfter) {
  MakeBackup();
  EXPECT_TRUE(fs::exists(backup_dir_ + "/manifest.json"));
  EXPECT_TRUE(fs::exists(backup_dir_ + "/CURRENT"));
  // The checkpoint inside the data directory is gone once its stream is.
  EXPECT_FALSE(fs::exists(data_dir_ + "/" + std::string(kCheckpointDirName)));

  Result<Manifest> verified = VerifyBackup(backup_dir_);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->data_format_version, std::string(store::DataFormatVersion()));
  Result<Manifest> restored = RestoreBackup(backup_dir_, restored_dir_);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_FALSE(fs::exists(restored_dir_ + ".restoring"));

  std::unique_ptr<store::RocksEngine> copy = OpenEngine(restored_dir_);
  ASSERT_NE(copy, nullptr);
  for (int i = 0; i < 2000; ++i) {
    EXPECT_EQ(Get(*copy, "k" + std::to_string(i)), std::string(100, static_cast<char>('a' + i % 26))) << i;
  }
  EXPECT_EQ(Get(*copy, "after"), std::nullopt);
  EXPECT_EQ(Get(*engine_, "after"), "not in the backup");
}

TEST_F(BackupRestoreTest, TheQueueDatabasesWaitingMessagesAndDeadLettersAreInTheBackup) {
  std::unique_ptr<store::RocksEngine> queue_db =
      test_support::OpenTestEngine(queue::QueueDatabaseDir(data_dir_), store::EngineLayout::kQueue);
  ASSERT_NE(queue_db, nullptr);
  queue::QueueRows waiting;
  waiting.messages = {{store::QueueKey(7), "message seven"}, {store::QueueKey(8), "message eight"}};
  waiting.dead_letters = {{store::QueueKey(3), "dead letter three"}};
  waiting.next_id = store::QueueKey(9);
  ASSERT_TRUE(queue::WriteQueueRows(waiting, queue_db.get()).ok());
  snapshotter_.reset();
  Result<std::unique_ptr<Snapshotter>> snapshotter = Snapshotter::Open(engine_.get(), queue_db.get());
  ASSERT_TRUE(snapshotter.ok()) << snapshotter.status().ToString();
  snapshotter_ = std::move(*snapshotter);
  MakeBackup(10);
  // The live data directory's own queue families stay empty: only the copy gets the rows.
  Result<queue::QueueRows> live = queue::ReadQueueRows(*engine_);
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->empty());

  ASSERT_TRUE(RestoreBackup(backup_dir_, restored_dir_).ok());
  std::unique_ptr<store::RocksEngine> copy = OpenEngine(restored_dir_);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(Get(*copy, "k9"), std::string(100, 'j'));
  Result<queue::QueueRows> restored = queue::ReadQueueRows(*copy);
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->messages, waiting.messages);
  EXPECT_EQ(restored->dead_letters, waiting.dead_letters);
  EXPECT_EQ(restored->next_id, waiting.next_id);
}

TEST_F(BackupRestoreTest, OneBackupAtATime) {
  Result<std::unique_ptr<SnapshotStream>> first = snapshotter_->Begin();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(fs::is_directory(data_dir_ + "/" + std::string(kCheckpointDirName)));
  Result<std::unique_ptr<SnapshotStream>> second = snapshotter_->Begin();
  EXPECT_EQ(second.status().code(), StatusCode::kConflict);
  // Also asynchronously: the Conflict comes at once.
  std::optional<Status> async_status;
  snapshotter_->BeginAsync([&](Result<std::unique_ptr<SnapshotStream>> result) { async_status = result.status(); });
  ASSERT_TRUE(async_status.has_value());
  EXPECT_EQ(async_status->code(), StatusCode::kConflict);

  // A stream dropped part-way (the client went away) frees the next backup and its checkpoint.
  std::vector<char> buffer(100);
  ASSERT_TRUE((*first)->Read(buffer).ok());
  first->reset();
  EXPECT_FALSE(fs::exists(data_dir_ + "/" + std::string(kCheckpointDirName)));
  Result<std::unique_ptr<SnapshotStream>> third = snapshotter_->Begin();
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(BackupRestoreTest, AsyncBeginHandsTheStreamToItsCallback) {
  std::promise<Result<std::unique_ptr<SnapshotStream>>> promise;
  snapshotter_->BeginAsync([&](Result<std::unique_ptr<SnapshotStream>> result) { promise.set_value(std::move(result)); });
  Result<std::unique_ptr<SnapshotStream>> stream = promise.get_future().get();
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  EXPECT_TRUE(WriteBackup(**stream, backup_dir_).ok());
}

TEST_F(BackupRestoreTest, AStaleCheckpointIsRemovedAtOpen) {
  const std::string stale = data_dir_ + "/" + std::string(kCheckpointDirName);
  fs::create_directories(stale);
  std::ofstream(stale + "/000001.sst") << "x";
  fs::create_directories(stale + ".tmp");
  snapshotter_.reset();
  Result<std::unique_ptr<Snapshotter>> reopened = Snapshotter::Open(engine_.get());
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_FALSE(fs::exists(stale + ".tmp"));
}

TEST_F(BackupRestoreTest, RestoreRefusesANonEmptyOrHeldDataDirectory) {
  MakeBackup(10);
  fs::create_directories(restored_dir_);
  std::ofstream(restored_dir_ + "/keep.txt") << "mine";
  Result<Manifest> refused = RestoreBackup(backup_dir_, restored_dir_);
  EXPECT_EQ(refused.status().code(), StatusCode::kConflict);
  EXPECT_NE(refused.status().message().find("is not empty"), std::string::npos) << refused.status().message();
  EXPECT_TRUE(fs::exists(restored_dir_ + "/keep.txt"));
  EXPECT_FALSE(fs::exists(restored_dir_ + ".restoring"));

  // The live data directory: its LOCK is held (by this process's engine, as a server would).
  Result<Manifest> held = RestoreBackup(backup_dir_, data_dir_);
  EXPECT_EQ(held.status().code(), StatusCode::kConflict);

  // An empty existing directory is fine (and a trailing slash too).
  const std::string empty_dir = dir_.path() + "/empty";
  fs::create_directories(empty_dir);
  EXPECT_TRUE(RestoreBackup(backup_dir_, empty_dir + "/").ok());
  EXPECT_TRUE(fs::exists(empty_dir + "/CURRENT"));
}

TEST_F(BackupRestoreTest, RestoreRefusesADamagedOrIncompleteBackup) {
  MakeBackup(500);
  Result<Manifest> manifest = VerifyBackup(backup_dir_);
  ASSERT_TRUE(manifest.ok());
  const BackupFile* largest = &manifest->files[0];
  for (const BackupFile& file : manifest->files) {
    if (file.size_bytes > largest->size_bytes) largest = &file;
  }
  const std::string victim = backup_dir_ + "/" + largest->name;
  {
    std::fstream file(victim, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(largest->size_bytes / 2));
    file.put('\x7f');
  }
  for (Result<Manifest> refused : {VerifyBackup(backup_dir_), RestoreBackup(backup_dir_, restored_dir_)}) {
    EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
    EXPECT_NE(refused.status().message().find(largest->name), std::string::npos) << refused.status().message();
  }
  EXPECT_FALSE(fs::exists(restored_dir_));
  EXPECT_FALSE(fs::exists(restored_dir_ + ".restoring"));

  fs::remove(victim);
  Result<Manifest> missing = RestoreBackup(backup_dir_, restored_dir_);
  EXPECT_EQ(missing.status().code(), StatusCode::kCorruption);
  EXPECT_NE(missing.status().message().find("is missing"), std::string::npos);
  EXPECT_FALSE(fs::exists(restored_dir_));

  fs::remove(backup_dir_ + "/manifest.json");
  EXPECT_EQ(RestoreBackup(backup_dir_, restored_dir_).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(restored_dir_));
}

TEST_F(BackupRestoreTest, RestoreRefusesADataFormatThisBuildCannotOpen) {
  MakeBackup(10);
  Result<Manifest> manifest = VerifyBackup(backup_dir_);
  ASSERT_TRUE(manifest.ok());
  manifest->data_format_version = "99";
  fs::remove(backup_dir_ + "/manifest.json");
  std::ofstream(backup_dir_ + "/manifest.json") << EncodeManifest(*manifest);
  Result<Manifest> refused = RestoreBackup(backup_dir_, restored_dir_);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("data format 99"), std::string::npos) << refused.status().message();
  EXPECT_FALSE(fs::exists(restored_dir_));
}

TEST_F(BackupRestoreTest, AFailedWriterRemovesWhatItWrote) {
  Result<std::unique_ptr<SnapshotStream>> stream = snapshotter_->Begin();
  ASSERT_TRUE(stream.ok());
  fs::create_directories(backup_dir_);
  BackupDirWriter writer(backup_dir_);
  BackupStreamDecoder decoder(&writer);
  std::vector<char> buffer((*stream)->size_bytes() / 2);
  Result<std::size_t> got = (*stream)->Read(buffer);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(decoder.Feed(std::string_view(buffer.data(), *got)).ok());
  EXPECT_FALSE(decoder.Finish().ok());
  EXPECT_FALSE(fs::is_empty(backup_dir_));
  writer.RemoveWritten();
  EXPECT_TRUE(fs::is_empty(backup_dir_));
}

}  // namespace
}  // namespace estoque::backup
