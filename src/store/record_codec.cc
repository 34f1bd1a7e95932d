#include "store/record_codec.h"

#include <cassert>
#include <limits>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"
#include "store/ledger_codec.h"

namespace estoque::store {
namespace {

constexpr uint8_t kRecordVersion = 1;

void AppendString8(std::string* out, std::string_view text) {
  assert(text.size() <= std::numeric_limits<uint8_t>::max());
  AppendFixed<uint8_t>(out, static_cast<uint8_t>(text.size()));
  out->append(text);
}

// Bounds a count read from a value by the bytes left, so corruption cannot allocate gigabytes.
bool CountFits(const ByteReader& reader, uint32_t count, std::size_t min_bytes_each) {
  return count <= reader.remaining() / min_bytes_each;
}

}  // namespace

std::string SaleKey(std::string_view branch, std::string_view sale_id) {
  std::string key(branch);
  key.push_back('\0');
  key.append(sale_id);
  return key;
}

std::string EncodeSaleRecord(const SaleRecord& record) {
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  AppendFixed<uint8_t>(&out, static_cast<uint8_t>(record.status));
  AppendFixed<int64_t>(&out, record.event_at_us);
  AppendFixed<int64_t>(&out, record.cancel_at_us);
  AppendString8(&out, record.origin);
  AppendString8(&out, record.cancel_origin);
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(record.lines.size()));
  for (const domain::SaleLine& line : record.lines) {
    AppendString8(&out, line.barcode);
    AppendFixed<int64_t>(&out, line.quantity_milli);
  }
  return out;
}

Result<SaleRecord> DecodeSaleRecord(std::string_view value) {
  ByteReader reader(value);
  SaleRecord record;
  uint8_t version = 0, status = 0;
  uint32_t count = 0;
  reader.Fixed(&version);
  reader.Fixed(&status);
  reader.Fixed(&record.event_at_us);
  reader.Fixed(&record.cancel_at_us);
  reader.String<uint8_t>(&record.origin);
  reader.String<uint8_t>(&record.cancel_origin);
  reader.Fixed(&count);
  if (reader.failed() || version != kRecordVersion || status < 1 || status > 3 ||
      !CountFits(reader, count, 9)) {
    return Status::Corruption("malformed sale record");
  }
  record.status = static_cast<SaleRecord::Status>(status);
  record.lines.resize(count);
  for (domain::SaleLine& line : record.lines) {
    reader.String<uint8_t>(&line.barcode);
    reader.Fixed(&line.quantity_milli);
  }
  if (reader.failed() || reader.remaining() != 0) return Status::Corruption("malformed sale record");
  return record;
}

std::string EncodeTransfer(const domain::Transfer& transfer) {
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  AppendString8(&out, transfer.id);
  AppendString8(&out, transfer.source);
  AppendString8(&out, transfer.destination);
  AppendFixed<uint8_t>(&out, static_cast<uint8_t>(transfer.status));
  AppendFixed<int64_t>(&out, transfer.created_at_us);
  AppendFixed<int64_t>(&out, transfer.shipped_at_us);
  AppendFixed<int64_t>(&out, transfer.received_at_us);
  AppendFixed<int64_t>(&out, transfer.cancelled_at_us);
  AppendString8(&out, transfer.created_by);
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(transfer.lines.size()));
  for (const domain::TransferLine& line : transfer.lines) {
    AppendString8(&out, line.barcode);
    AppendFixed<int64_t>(&out, line.quantity_milli);
    AppendFixed<int64_t>(&out, line.received_milli);
  }
  return out;
}

Result<domain::Transfer> DecodeTransfer(std::string_view value) {
  ByteReader reader(value);
  domain::Transfer transfer;
  uint8_t version = 0, status = 0;
  uint32_t count = 0;
  reader.Fixed(&version);
  reader.String<uint8_t>(&transfer.id);
  reader.String<uint8_t>(&transfer.source);
  reader.String<uint8_t>(&transfer.destination);
  reader.Fixed(&status);
  reader.Fixed(&transfer.created_at_us);
  reader.Fixed(&transfer.shipped_at_us);
  reader.Fixed(&transfer.received_at_us);
  reader.Fixed(&transfer.cancelled_at_us);
  reader.String<uint8_t>(&transfer.created_by);
  reader.Fixed(&count);
  if (reader.failed() || version != kRecordVersion || status < 1 || status > 4 ||
      !CountFits(reader, count, 17)) {
    return Status::Corruption("malformed transfer record");
  }
  transfer.status = static_cast<domain::TransferStatus>(status);
  transfer.lines.resize(count);
  for (domain::TransferLine& line : transfer.lines) {
    reader.String<uint8_t>(&line.barcode);
    reader.Fixed(&line.quantity_milli);
    reader.Fixed(&line.received_milli);
  }
  if (reader.failed() || reader.remaining() != 0) return Status::Corruption("malformed transfer record");
  return transfer;
}

std::string EncodeReservation(const domain::Reservation& reservation) {
  std::string out;
  out.push_back(static_cast<char>(kRecordVersion));
  AppendString8(&out, reservation.id);
  AppendString8(&out, reservation.branch);
  AppendFixed<uint8_t>(&out, static_cast<uint8_t>(reservation.status));
  AppendFixed<int64_t>(&out, reservation.expires_at_us);
  AppendFixed<int64_t>(&out, reservation.created_at_us);
  AppendFixed<int64_t>(&out, reservation.resolved_at_us);
  AppendString8(&out, reservation.created_by);
  AppendFixed<uint32_t>(&out, static_cast<uint32_t>(reservation.lines.size()));
  for (const domain::ReservationLine& line : reservation.lines) {
    AppendString8(&out, line.barcode);
    AppendFixed<int64_t>(&out, line.quantity_milli);
  }
  return out;
}

Result<domain::Reservation> DecodeReservation(std::string_view value) {
  ByteReader reader(value);
  domain::Reservation reservation;
  uint8_t version = 0, status = 0;
  uint32_t count = 0;
  reader.Fixed(&version);
  reader.String<uint8_t>(&reservation.id);
  reader.String<uint8_t>(&reservation.branch);
  reader.Fixed(&status);
  reader.Fixed(&reservation.expires_at_us);
  reader.Fixed(&reservation.created_at_us);
  reader.Fixed(&reservation.resolved_at_us);
  reader.String<uint8_t>(&reservation.created_by);
  reader.Fixed(&count);
  if (reader.failed() || version != kRecordVersion || status < 1 || status > 4 ||
      !CountFits(reader, count, 9)) {
    return Status::Corruption("malformed reservation record");
  }
  reservation.status = static_cast<domain::ReservationStatus>(status);
  reservation.lines.resize(count);
  for (domain::ReservationLine& line : reservation.lines) {
    reader.String<uint8_t>(&line.barcode);
    reader.Fixed(&line.quantity_milli);
  }
  if (reader.failed() || reader.remaining() != 0) {
    return Status::Corruption("malformed reservation record");
  }
  return reservation;
}

std::string ReservationExpiryKey(int64_t expires_at_us, std::string_view id) {
  std::string key;
  AppendEventTime(&key, expires_at_us);
  key.append(id);
  return key;
}

}  // namespace estoque::store
