using CallCenter.Core.Privacy;

namespace CallCenter.Core.Tests.Privacy;

public sealed class PhoneNumberMaskTests
{
    [TestCase("+8613812345678", "+86138****5678")]
    [TestCase("13812345678", "138****5678")]
    [TestCase("+14158675309", "+141****5309")]
    [TestCase("95588", "*5588")]
    [TestCase("1234", "****")]
    [TestCase("", "")]
    [TestCase(null, "")]
    public void Keeps_only_the_leading_three_and_trailing_four_digits(string? number, string expected)
    {
        Assert.That(PhoneNumberMask.Mask(number), Is.EqualTo(expected));
    }
}
