using BenchmarkDotNet.Attributes;
using CallCenter.Core.Ivr;
using Twilio.Security;

namespace CallCenter.Benchmarks;

/// <summary>The CPU work of one IVR menu webhook, without I/O: signature check, interpreter step, and flow validation.</summary>
[MemoryDiagnoser]
public class IvrBenchmarks
{
    private const string Token = "bench-auth-token";
    private const string Url = "https://hotline.bank.example/twilio/voice/ivr?step=3";
    private readonly Dictionary<string, string> _form = new()
    {
        ["CallSid"] = "CA0123456789abcdef0123456789abcdef",
        ["AccountSid"] = "AC0123456789abcdef0123456789abcdef",
        ["From"] = "+8613812345678",
        ["To"] = "+862100000000",
        ["CallStatus"] = "in-progress",
        ["Digits"] = "1",
    };
    private readonly RequestValidator _validator = new(Token);
    private string _signature = "";
    private string _yaml = "";
    private IvrInterpreter _interpreter = null!;
    private IvrCallState _atMainMenu = null!;
    private IvrContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        _yaml = File.ReadAllText(FindFlow());
        var check = new FlowValidator().Validate(_yaml, "ivr-flows/bank-hotline.yaml");
        _interpreter = new IvrInterpreter(check.Flow!);
        _context = new IvrContext(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
        var started = _interpreter.Start(_context);
        _atMainMenu = _interpreter.Continue(started.State, IvrInput.FromDigits("1"), _context).State;
        _signature = Sign();
    }

    [Benchmark]
    public bool ValidateTwilioSignature() => _validator.Validate(Url, _form, _signature);

    [Benchmark]
    public IvrStep MenuChoice() => _interpreter.Continue(_atMainMenu, IvrInput.FromDigits("1"), _context);

    [Benchmark]
    public IvrStep SpokenMenuChoice() => _interpreter.Continue(_atMainMenu, IvrInput.FromSpeech("我要查余额", 0.9), _context);

    [Benchmark]
    public FlowCheck ValidateShippedFlow() => new FlowValidator().Validate(_yaml, "ivr-flows/bank-hotline.yaml");

    private string Sign()
    {
        var data = new System.Text.StringBuilder(Url);
        foreach (var (k, v) in _form.OrderBy(p => p.Key, StringComparer.Ordinal)) data.Append(k).Append(v);
#pragma warning disable CA5350 // Twilio's signature is HMAC-SHA1 by definition.
        return Convert.ToBase64String(System.Security.Cryptography.HMACSHA1.HashData(
            System.Text.Encoding.UTF8.GetBytes(Token), System.Text.Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }

    private static string FindFlow()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "ivr-flows", "bank-hotline.yaml");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException("ivr-flows/bank-hotline.yaml not found above the benchmark binaries.");
    }
}
