// RocksKeyStore: create, list, get, revoke, rotate, authenticate, validation and persistence.
// Hermetic: each test owns a fresh data directory.
#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "auth/key_store.h"
#include "auth/token.h"
#include "store/rocksdb_engine.h"
#include "support/temp_dir.h"

namespace estoque::auth {
namespace {

using estoque::test_support::TempDir;

NewKey Pdv(std::vector<std::string> branches, std::string name = "PDV") {
  NewKey key;
  key.role = Role::kPdv;
  key.branches = std::move(branches);
  key.name = std::move(name);
  return key;
}

NewKey OfRole(Role role, std::string name = "key") {
  NewKey key;
  key.role = role;
  key.name = std::move(name);
  return key;
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store::EngineOptions options;
    options.data_dir = dir_.path() + "/data";
    options.block_cache_bytes = 8 << 20;
    options.row_cache_bytes = 0;
    auto engine = store::RocksEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    auto keys = RocksKeyStore::Open(engine_.get());
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    keys_ = std::move(*keys);
  }

  void Reopen() {
    keys_.reset();
    engine_.reset();
    Open();
  }

  IssuedKey MustCreate(NewKey key) {
    Result<IssuedKey> issued = keys_->Create(std::move(key));
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? *issued : IssuedKey{};
  }

  TempDir dir_;
  std::unique_ptr<store::RocksEngine> engine_;
  std::unique_ptr<RocksKeyStore> keys_;
};

TEST_F(KeyStoreTest, CreateReturnsTheTokenOnceAndStoresOnlyItsHash) {
  EXPECT_EQ(keys_->size(), 0u);
  NewKey key = Pdv({"1002", "1001", "1002"}, "PDV 1001");
  key.rate = RateOverride{5, 10};
  key.created_by = "k_00000000000000aa";
  const IssuedKey issued = MustCreate(key);
  EXPECT_EQ(issued.token.rfind("estq_", 0), 0u);
  const ApiKeyRecord& record = issued.record;
  EXPECT_EQ(record.id.rfind("k_", 0), 0u);
  EXPECT_EQ(record.role, Role::kPdv);
  EXPECT_EQ(record.branches, (std::vector<std::string>{"1001", "1002"}));  // sorted, unique
  EXPECT_EQ(record.name, "PDV 1001");
  EXPECT_EQ(record.rate, (RateOverride{5, 10}));
  EXPECT_EQ(record.created_by, "k_00000000000000aa");
  EXPECT_GT(record.created_at_us, 0);
  EXPECT_EQ(record.rotated_at_us, 0);
  EXPECT_TRUE(record.active());
  EXPECT_EQ(record.token_hash, HashToken(issued.token));
  EXPECT_EQ(keys_->size(), 1u);

  auto authenticated = keys_->Authenticate(issued.token);
  ASSERT_NE(authenticated, nullptr);
  EXPECT_EQ(*authenticated, record);
  Result<ApiKeyRecord> got = keys_->Get(record.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, record);
  EXPECT_TRUE(record.covers("1001"));
  EXPECT_FALSE(record.covers("1003"));

  // The token is nowhere in the engine: only its hash.
  Reopen();
  for (const ApiKeyRecord& listed : keys_->List()) {
    EXPECT_EQ(listed.token_hash.find(issued.token), std::string::npos);
  }
}

TEST_F(KeyStoreTest, ListIsOrderedByIdAndGetFindsEach) {
  std::vector<std::string> ids;
  ids.push_back(MustCreate(OfRole(Role::kAdmin, "admin")).record.id);
  ids.push_back(MustCreate(OfRole(Role::kLeitura, "bi")).record.id);
  ids.push_back(MustCreate(OfRole(Role::kIntegracao, "erp")).record.id);
  ids.push_back(MustCreate(Pdv({"1001"})).record.id);
  std::vector<ApiKeyRecord> listed = keys_->List();
  ASSERT_EQ(listed.size(), 4u);
  std::vector<std::string> listed_ids;
  for (const auto& record : listed) listed_ids.push_back(record.id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(listed_ids, ids);
  for (const std::string& id : ids) EXPECT_TRUE(keys_->Get(id).ok()) << id;
  EXPECT_EQ(keys_->Get("k_nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(keys_->size(), 4u);
}

TEST_F(KeyStoreTest, RevokeStopsTheTokenAtOnceAndIsIdempotent) {
  const IssuedKey issued = MustCreate(Pdv({"1001"}));
  const IssuedKey other = MustCreate(Pdv({"1001"}, "other"));
  Result<ApiKeyRecord> revoked = keys_->Revoke(issued.record.id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_FALSE(revoked->active());
  EXPECT_GT(revoked->revoked_at_us, 0);
  EXPECT_EQ(keys_->Authenticate(issued.token), nullptr);
  EXPECT_NE(keys_->Authenticate(other.token), nullptr);  // only that key
  EXPECT_FALSE(keys_->Get(issued.record.id)->active());
  EXPECT_EQ(keys_->List().size(), 2u);  // revoked keys stay listed

  Result<ApiKeyRecord> again = keys_->Revoke(issued.record.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->revoked_at_us, revoked->revoked_at_us);
  EXPECT_EQ(keys_->Revoke("k_0000000000000000").status().code(), StatusCode::kNotFound);
}

TEST_F(KeyStoreTest, RotateKeepsTheKeyButReplacesTheToken) {
  NewKey key = Pdv({"1001", "1002"}, "PDV rotating");
  key.rate = RateOverride{3, 4};
  const IssuedKey issued = MustCreate(key);
  Result<IssuedKey> rotated = keys_->Rotate(issued.record.id);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_NE(rotated->token, issued.token);
  EXPECT_EQ(rotated->token.rfind("estq_", 0), 0u);
  EXPECT_EQ(keys_->Authenticate(issued.token), nullptr);  // the old token stops at once
  auto now = keys_->Authenticate(rotated->token);
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->id, issued.record.id);
  EXPECT_EQ(now->role, Role::kPdv);
  EXPECT_EQ(now->branches, issued.record.branches);
  EXPECT_EQ(now->name, issued.record.name);
  EXPECT_EQ(now->rate, issued.record.rate);
  EXPECT_EQ(now->created_at_us, issued.record.created_at_us);
  EXPECT_GT(now->rotated_at_us, 0);
  EXPECT_EQ(now->token_hash, HashToken(rotated->token));
  EXPECT_EQ(keys_->size(), 1u);

  // Twice: the first rotation's token stops too.
  Result<IssuedKey> twice = keys_->Rotate(issued.record.id);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(keys_->Authenticate(rotated->token), nullptr);
  EXPECT_NE(keys_->Authenticate(twice->token), nullptr);

  ASSERT_TRUE(keys_->Revoke(issued.record.id).ok());
  EXPECT_EQ(keys_->Rotate(issued.record.id).status().code(), StatusCode::kConflict);
  EXPECT_EQ(keys_->Authenticate(twice->token), nullptr);
  EXPECT_EQ(keys_->Rotate("k_0000000000000000").status().code(), StatusCode::kNotFound);
}

TEST_F(KeyStoreTest, EverythingSurvivesReopening) {
  const IssuedKey admin = MustCreate(OfRole(Role::kAdmin, "admin"));
  const IssuedKey revoked = MustCreate(Pdv({"1001"}, "revoked"));
  const IssuedKey rotated = MustCreate(OfRole(Role::kLeitura, "rotated"));
  NewKey limited = OfRole(Role::kIntegracao, "limited");
  limited.rate = RateOverride{0.5, 2};
  const IssuedKey with_rate = MustCreate(limited);
  ASSERT_TRUE(keys_->Revoke(revoked.record.id).ok());
  Result<IssuedKey> new_token = keys_->Rotate(rotated.record.id);
  ASSERT_TRUE(new_token.ok());
  const std::vector<ApiKeyRecord> before = keys_->List();

  Reopen();
  EXPECT_EQ(keys_->List(), before);
  EXPECT_EQ(keys_->size(), 4u);
  EXPECT_NE(keys_->Authenticate(admin.token), nullptr);
  EXPECT_EQ(keys_->Authenticate(revoked.token), nullptr);
  EXPECT_EQ(keys_->Authenticate(rotated.token), nullptr);
  EXPECT_NE(keys_->Authenticate(new_token->token), nullptr);
  auto limited_again = keys_->Authenticate(with_rate.token);
  ASSERT_NE(limited_again, nullptr);
  EXPECT_EQ(limited_again->rate, (RateOverride{0.5, 2}));
}

struct InvalidCase {
  const char* what;
  NewKey key;
  const char* field;
};

TEST_F(KeyStoreTest, ValidationErrorsNameTheField) {
  auto with_rate = [](double per_second, double burst) {
    NewKey key = OfRole(Role::kLeitura);
    key.rate = RateOverride{per_second, burst};
    return key;
  };
  NewKey admin_with_branches = OfRole(Role::kAdmin);
  admin_with_branches.branches = {"1001"};
  std::vector<std::string> too_many;
  for (int i = 0; i < 1001; ++i) too_many.push_back(std::to_string(i));
  const std::vector<InvalidCase> cases = {
      {"pdv without filiais", Pdv({}), "filiais"},
      {"admin with filiais", admin_with_branches, "filiais"},
      {"bad branch", Pdv({"10 01"}), "filiais"},
      {"empty branch", Pdv({""}), "filiais"},
      {"long branch", Pdv({std::string(33, '1')}), "filiais"},
      {"too many branches", Pdv(too_many), "filiais"},
      {"empty nome", Pdv({"1001"}, ""), "nome"},
      {"long nome", Pdv({"1001"}, std::string(201, 'n')), "nome"},
      {"invalid UTF-8 nome", Pdv({"1001"}, "caf\xc3"), "nome"},
      {"control character in nome", Pdv({"1001"}, "a\nb"), "nome"},
      {"zero rps", with_rate(0, 1), "limite"},
      {"negative rps", with_rate(-1, 1), "limite"},
      {"burst below one", with_rate(1, 0.5), "limite"},
      {"NaN rps", with_rate(std::nan(""), 1), "limite"},
      {"huge burst", with_rate(1, 1e10), "limite"},
  };
  for (const InvalidCase& c : cases) {
    const Status direct = ValidateNewKey(c.key);
    EXPECT_EQ(direct.code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(direct.message().rfind(std::string(c.field) + ": ", 0), 0u) << c.what << ": " << direct.message();
    Result<IssuedKey> created = keys_->Create(c.key);
    ASSERT_FALSE(created.ok()) << c.what;
    EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(created.status().message().rfind(std::string(c.field) + ": ", 0), 0u)
        << c.what << ": " << created.status().message();
  }
  EXPECT_EQ(keys_->size(), 0u);  // nothing stored
  // The bounds themselves are fine.
  EXPECT_TRUE(keys_->Create(Pdv({"1001"}, std::string(200, 'n'))).ok());
  EXPECT_TRUE(keys_->Create(Pdv({"1001"}, "Café — caixa 1")).ok());
  EXPECT_TRUE(keys_->Create(with_rate(1e9, 1)).ok());
  NewKey leitura_some = OfRole(Role::kLeitura);
  leitura_some.branches = {"1001"};
  EXPECT_TRUE(keys_->Create(leitura_some).ok());
}

TEST_F(KeyStoreTest, CreateWithTokenChecksTheTokenAndRejectsDuplicates) {
  const std::string chosen(32, 'x');
  auto expect_bad_token = [&](const std::string& token) {
    Result<IssuedKey> issued = keys_->CreateWithToken(OfRole(Role::kAdmin), token);
    ASSERT_FALSE(issued.ok()) << token.size();
    EXPECT_EQ(issued.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(issued.status().message().rfind("token: ", 0), 0u) << issued.status().message();
  };
  expect_bad_token("");
  expect_bad_token(std::string(31, 'x'));
  expect_bad_token(std::string(257, 'x'));
  expect_bad_token(std::string(20, 'x') + " " + std::string(20, 'x'));
  expect_bad_token(std::string(40, 'x') + "\x01");
  expect_bad_token(std::string(40, 'x') + "\xc3\xa9");
  EXPECT_EQ(keys_->size(), 0u);

  Result<IssuedKey> issued = keys_->CreateWithToken(OfRole(Role::kAdmin, "bootstrap"), chosen);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(issued->token, chosen);
  auto authenticated = keys_->Authenticate(chosen);
  ASSERT_NE(authenticated, nullptr);
  EXPECT_EQ(authenticated->id, issued->record.id);
  EXPECT_TRUE(keys_->CreateWithToken(OfRole(Role::kLeitura), std::string(256, 'y')).ok());

  Result<IssuedKey> duplicate = keys_->CreateWithToken(OfRole(Role::kLeitura), chosen);
  EXPECT_EQ(duplicate.status().code(), StatusCode::kConflict);
  EXPECT_EQ(keys_->size(), 2u);
}

TEST_F(KeyStoreTest, AuthenticateRejectsUnknownEmptyHugeAndRevokedTokens) {
  const IssuedKey issued = MustCreate(OfRole(Role::kLeitura));
  EXPECT_EQ(keys_->Authenticate(""), nullptr);
  EXPECT_EQ(keys_->Authenticate("estq_unknown-token-of-the-right-shape-00000000000"), nullptr);
  EXPECT_EQ(keys_->Authenticate(issued.token + "x"), nullptr);
  EXPECT_EQ(keys_->Authenticate(issued.token.substr(0, issued.token.size() - 1)), nullptr);
  EXPECT_EQ(keys_->Authenticate(std::string(1 << 20, 'a')), nullptr);
  EXPECT_EQ(keys_->Authenticate(issued.record.token_hash), nullptr);  // the hash is not a token
  EXPECT_EQ(keys_->Authenticate(issued.record.id), nullptr);
  ASSERT_NE(keys_->Authenticate(issued.token), nullptr);
  ASSERT_TRUE(keys_->Revoke(issued.record.id).ok());
  EXPECT_EQ(keys_->Authenticate(issued.token), nullptr);
}

TEST_F(KeyStoreTest, ConcurrentCreatesAndAuthentications) {
  constexpr int kThreads = 4, kPerThread = 25;
  std::mutex mutex;
  std::vector<IssuedKey> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<IssuedKey> issued = keys_->Create(Pdv({"1001"}, "t" + std::to_string(t)));
        ASSERT_TRUE(issued.ok());
        EXPECT_NE(keys_->Authenticate(issued->token), nullptr);
        std::lock_guard lock(mutex);
        all.push_back(std::move(*issued));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::string> ids;
  for (const IssuedKey& issued : all) {
    EXPECT_TRUE(ids.insert(issued.record.id).second);
    auto authenticated = keys_->Authenticate(issued.token);
    ASSERT_NE(authenticated, nullptr);
    EXPECT_EQ(authenticated->id, issued.record.id);
  }
  EXPECT_EQ(keys_->size(), all.size());
}

}  // namespace
}  // namespace estoque::auth
