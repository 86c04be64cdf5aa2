using System.Security.Cryptography;
using CallCenter.Core.Archive;

namespace CallCenter.Core.Tests.Archive;

public sealed class RecordingEnvelopeTests
{
    private const int Chunk = 4096;

    private static async Task<(byte[] Plain, byte[] Sealed, byte[] Key, SealedRecording Info)> SealAsync(int length)
    {
        var plain = RandomNumberGenerator.GetBytes(length);
        var key = RecordingEnvelope.NewDataKey();
        using var output = new MemoryStream();
        var info = await RecordingEnvelope.SealAsync(new MemoryStream(plain), output, key, CancellationToken.None, Chunk);
        return (plain, output.ToArray(), key, info);
    }

    private static byte[] Open(byte[] sealedFile, byte[] key)
    {
        using var stream = new RecordingDecryptStream(new MemoryStream(sealedFile), key);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(Chunk - 1)]
    [TestCase(Chunk)]
    [TestCase(Chunk * 3)]
    [TestCase((Chunk * 3) + 17)]
    public async Task Any_length_seals_and_opens_to_the_same_bytes_with_its_hash(int length)
    {
        var (plain, sealedFile, key, info) = await SealAsync(length);
        Assert.Multiple(() =>
        {
            Assert.That(Open(sealedFile, key), Is.EqualTo(plain));
            Assert.That(info.PlaintextBytes, Is.EqualTo(length));
            Assert.That(info.Sha256, Is.EqualTo(SHA256.HashData(plain)));
            Assert.That(info.StoredBytes, Is.EqualTo(sealedFile.Length));
            Assert.That(sealedFile.Length, Is.EqualTo(RecordingEnvelope.HeaderSize + length + (16 * ((length / Chunk) + 1))));
        });
    }

    [Test]
    public async Task Reading_from_any_offset_decrypts_only_what_is_asked()
    {
        var (plain, sealedFile, key, _) = await SealAsync((Chunk * 5) + 100);
        using var stream = new RecordingDecryptStream(new MemoryStream(sealedFile), key);
        foreach (var offset in new[] { 0, Chunk - 3, Chunk * 2, (Chunk * 5) + 50 })
        {
            stream.Position = offset;
            var buffer = new byte[Math.Min(200, plain.Length - offset)];
            stream.ReadExactly(buffer);
            Assert.That(buffer, Is.EqualTo(plain[offset..(offset + buffer.Length)]), $"offset {offset}");
        }
        Assert.That(stream.Length, Is.EqualTo(plain.Length));
    }

    [Test]
    public async Task One_flipped_bit_anywhere_is_detected()
    {
        var (_, sealedFile, key, _) = await SealAsync(Chunk * 2);
        foreach (var at in new[] { 3, RecordingEnvelope.HeaderSize + 5, sealedFile.Length - 1 })
        {
            var tampered = (byte[])sealedFile.Clone();
            tampered[at] ^= 0x80;
            Assert.That(() => Open(tampered, key), Throws.InstanceOf<CryptographicException>().Or.InstanceOf<InvalidDataException>(), $"byte {at}");
        }
    }

    [Test]
    public async Task A_file_cut_at_a_chunk_boundary_is_detected()
    {
        var (_, sealedFile, key, _) = await SealAsync((Chunk * 2) + 10);
        var cut = sealedFile[..(RecordingEnvelope.HeaderSize + Chunk + 16)]; // only the first chunk, which is not marked last
        Assert.That(() => Open(cut, key), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public async Task Another_key_opens_nothing()
    {
        var (_, sealedFile, _, _) = await SealAsync(100);
        Assert.That(() => Open(sealedFile, RecordingEnvelope.NewDataKey()), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void A_wrapped_key_opens_only_with_its_master_key_and_recording()
    {
        var master = RandomNumberGenerator.GetBytes(32);
        var dataKey = RecordingEnvelope.NewDataKey();
        var wrapped = DataKeyWrap.Wrap(master, dataKey, "RE1");
        Assert.That(DataKeyWrap.Unwrap(master, wrapped, "RE1"), Is.EqualTo(dataKey));
        Assert.That(() => DataKeyWrap.Unwrap(master, wrapped, "RE2"), Throws.InstanceOf<CryptographicException>());
        Assert.That(() => DataKeyWrap.Unwrap(RandomNumberGenerator.GetBytes(32), wrapped, "RE1"), Throws.InstanceOf<CryptographicException>());
    }
}
