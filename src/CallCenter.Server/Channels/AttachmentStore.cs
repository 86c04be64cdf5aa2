using CallCenter.Core.Archive;
using CallCenter.Server.Archive;

namespace CallCenter.Server.Channels;

/// <summary>
/// Seals e-mail attachments into the archive storage the recordings use: a fresh data key per file wrapped by the
/// archive's master key, AES-256-GCM in chunks, SHA-256 of the plaintext; temp file and atomic commit.
/// </summary>
public sealed class AttachmentStore(IArchiveStorage storage, ArchiveKeyRing keys, TimeProvider clock)
{
    /// <summary>Whether attachments can be sealed at all (an archive master key is configured).</summary>
    public bool CanStore => keys.ActiveKeyId is not null;

    public async Task<ServiceRequestAttachment> StoreAsync(IFormFile file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        var name = Guid.NewGuid().ToString("N");
        var dataKey = RecordingEnvelope.NewDataKey();
        // The file's own name is the associated data, so a wrapped key cannot be moved to another file.
        var (keyId, wrapped) = keys.Wrap(dataKey, name);
        var key = $"attachments/{clock.GetUtcNow():yyyy/MM/dd}/{name}.ccatt";
        SealedRecording sealedFile;
        await using (var write = await storage.CreateAsync(key, ct))
        {
            await using var source = file.OpenReadStream();
            sealedFile = await RecordingEnvelope.SealAsync(source, write.Content, dataKey, ct);
            await write.CommitAsync(ct);
        }
        return new ServiceRequestAttachment
        {
            FileName = Path.GetFileName(file.FileName),
            ContentType = string.IsNullOrWhiteSpace(file.ContentType) ? "application/octet-stream" : file.ContentType,
            Bytes = sealedFile.PlaintextBytes,
            Sha256 = sealedFile.Sha256,
            StorageKey = key,
            KeyId = keyId,
            WrappedKey = wrapped,
        };
    }

    /// <summary>Removes files whose request was not stored, so nothing is left half-written.</summary>
    public async Task DeleteAsync(IEnumerable<ServiceRequestAttachment> attachments)
    {
        ArgumentNullException.ThrowIfNull(attachments);
        foreach (var a in attachments) await storage.DeleteAsync(a.StorageKey, CancellationToken.None);
    }
}
