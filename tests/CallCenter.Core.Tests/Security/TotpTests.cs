using System.Text;
using CallCenter.Core.Security;

namespace CallCenter.Core.Tests.Security;

public sealed class TotpTests
{
    // RFC 6238 Appendix B: the seeds are the ASCII digits repeated to the hash's key length.
    private static readonly byte[] Sha1Seed = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] Sha256Seed = Encoding.ASCII.GetBytes("12345678901234567890123456789012");
    private static readonly byte[] Sha512Seed = Encoding.ASCII.GetBytes("1234567890123456789012345678901234567890123456789012345678901234");

    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 9, 0, 10, TimeSpan.Zero);

    [TestCase(59L, "94287082", TotpAlgorithm.Sha1)]
    [TestCase(59L, "46119246", TotpAlgorithm.Sha256)]
    [TestCase(59L, "90693936", TotpAlgorithm.Sha512)]
    [TestCase(1111111109L, "07081804", TotpAlgorithm.Sha1)]
    [TestCase(1111111109L, "68084774", TotpAlgorithm.Sha256)]
    [TestCase(1111111109L, "25091201", TotpAlgorithm.Sha512)]
    [TestCase(1111111111L, "14050471", TotpAlgorithm.Sha1)]
    [TestCase(1111111111L, "67062674", TotpAlgorithm.Sha256)]
    [TestCase(1111111111L, "99943326", TotpAlgorithm.Sha512)]
    [TestCase(1234567890L, "89005924", TotpAlgorithm.Sha1)]
    [TestCase(1234567890L, "91819424", TotpAlgorithm.Sha256)]
    [TestCase(1234567890L, "93441116", TotpAlgorithm.Sha512)]
    [TestCase(2000000000L, "69279037", TotpAlgorithm.Sha1)]
    [TestCase(2000000000L, "90698825", TotpAlgorithm.Sha256)]
    [TestCase(2000000000L, "38618901", TotpAlgorithm.Sha512)]
    [TestCase(20000000000L, "65353130", TotpAlgorithm.Sha1)]
    [TestCase(20000000000L, "77737706", TotpAlgorithm.Sha256)]
    [TestCase(20000000000L, "47863826", TotpAlgorithm.Sha512)]
    public void Matches_the_RFC_6238_test_vectors(long unixSeconds, string expected, TotpAlgorithm algorithm)
    {
        var seed = algorithm switch { TotpAlgorithm.Sha256 => Sha256Seed, TotpAlgorithm.Sha512 => Sha512Seed, _ => Sha1Seed };
        var code = Totp.CodeAt(seed, DateTimeOffset.FromUnixTimeSeconds(unixSeconds), digits: 8, algorithm: algorithm);
        Assert.That(code, Is.EqualTo(expected));
    }

    [Test]
    public void RFC_6238_vector_verifies_at_its_instant()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(1111111109);
        var check = Totp.Verify(Sha1Seed, "07081804", at, lastUsedStep: null, digits: 8);
        Assert.That(check, Is.EqualTo(new TotpCheck(TotpVerdict.Accepted, 37037036)));
    }

    [Test]
    public void Six_digit_code_is_the_last_six_digits_of_the_eight_digit_one()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(59);
        Assert.That(Totp.CodeAt(Sha1Seed, at), Is.EqualTo("287082"));
    }

    [Test]
    public void Code_of_the_previous_and_next_step_is_accepted_for_clock_drift()
    {
        var step = Totp.StepAt(Now);
        Assert.Multiple(() =>
        {
            Assert.That(Totp.Verify(Secret, Totp.Code(Secret, step - 1), Now, null).Verdict, Is.EqualTo(TotpVerdict.Accepted));
            Assert.That(Totp.Verify(Secret, Totp.Code(Secret, step + 1), Now, null).Verdict, Is.EqualTo(TotpVerdict.Accepted));
            Assert.That(Totp.Verify(Secret, Totp.Code(Secret, step - 2), Now, null).Verdict, Is.EqualTo(TotpVerdict.Wrong));
            Assert.That(Totp.Verify(Secret, Totp.Code(Secret, step + 2), Now, null).Verdict, Is.EqualTo(TotpVerdict.Wrong));
        });
    }

    [Test]
    public void Code_used_once_is_refused_as_replayed_within_the_same_step()
    {
        var code = Totp.CodeAt(Secret, Now);
        var first = Totp.Verify(Secret, code, Now, lastUsedStep: null);
        var again = Totp.Verify(Secret, code, Now.AddSeconds(5), lastUsedStep: first.MatchedStep);
        Assert.Multiple(() =>
        {
            Assert.That(first.Verdict, Is.EqualTo(TotpVerdict.Accepted));
            Assert.That(again.Verdict, Is.EqualTo(TotpVerdict.Replayed));
        });
    }

    [Test]
    public void Older_step_than_the_last_used_one_is_refused_as_replayed()
    {
        var step = Totp.StepAt(Now);
        var check = Totp.Verify(Secret, Totp.Code(Secret, step - 1), Now, lastUsedStep: step);
        Assert.That(check.Verdict, Is.EqualTo(TotpVerdict.Replayed));
    }

    [Test]
    public void Next_step_after_the_last_used_one_is_accepted()
    {
        var step = Totp.StepAt(Now);
        var check = Totp.Verify(Secret, Totp.Code(Secret, step + 1), Now, lastUsedStep: step);
        Assert.That(check, Is.EqualTo(new TotpCheck(TotpVerdict.Accepted, step + 1)));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("12345")]
    [TestCase("1234567")]
    [TestCase("12a456")]
    public void Malformed_code_is_wrong(string? code) =>
        Assert.That(Totp.Verify(Secret, code, Now, null).Verdict, Is.EqualTo(TotpVerdict.Wrong));

    [Test]
    public void Code_with_a_space_in_the_middle_is_read_as_typed_in_an_app()
    {
        var code = Totp.CodeAt(Secret, Now);
        Assert.That(Totp.Verify(Secret, code[..3] + " " + code[3..], Now, null).Verdict, Is.EqualTo(TotpVerdict.Accepted));
    }

    [TestCase("", "")]
    [TestCase("f", "MY")]
    [TestCase("fo", "MZXQ")]
    [TestCase("foo", "MZXW6")]
    [TestCase("foob", "MZXW6YQ")]
    [TestCase("fooba", "MZXW6YTB")]
    [TestCase("foobar", "MZXW6YTBOI")]
    public void Base32_matches_the_RFC_4648_test_vectors(string plain, string encoded)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Base32.Encode(Encoding.ASCII.GetBytes(plain)), Is.EqualTo(encoded));
            Assert.That(Base32.Decode(encoded.ToLowerInvariant()), Is.EqualTo(Encoding.ASCII.GetBytes(plain)));
        });
    }

    [Test]
    public void Enrolment_uri_carries_issuer_account_and_base32_secret()
    {
        var uri = Totp.EnrolmentUri("Bank Hotline", "S1001", Encoding.ASCII.GetBytes("foobar"));
        Assert.That(uri, Is.EqualTo("otpauth://totp/Bank%20Hotline:S1001?secret=MZXW6YTBOI&issuer=Bank%20Hotline&algorithm=SHA1&digits=6&period=30"));
    }
}
