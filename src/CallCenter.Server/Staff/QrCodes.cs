using QRCoder;

namespace CallCenter.Server.Staff;

/// <summary>The enrolment QR code as inline SVG, so the console shows it without a request that could be cached.</summary>
internal static class QrCodes
{
    public static string Svg(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4);
    }
}
