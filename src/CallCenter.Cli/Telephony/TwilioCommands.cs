using System.CommandLine;
using CallCenter.Server.Telephony;

namespace CallCenter.Cli.Telephony;

/// <summary>`callcenter twilio sign`: prints the X-Twilio-Signature Twilio would send, to try webhooks with curl.</summary>
internal static class TwilioCommands
{
    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "The full public URL of the webhook." };
        var fields = new Argument<string[]>("fields") { Description = "Form fields as Name=Value.", Arity = ArgumentArity.ZeroOrMore };
        var token = new Option<string>("--auth-token")
        {
            Description = "Twilio auth token (default: environment Twilio__AuthToken).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Twilio__AuthToken") ?? "",
        };
        var sign = new Command("sign", "Print the signature for a form post.") { url, fields, token };
        sign.SetAction(parse =>
        {
            var authToken = parse.GetValue(token);
            if (string.IsNullOrEmpty(authToken))
            {
                Console.Error.WriteLine("error: no auth token: pass --auth-token or set Twilio__AuthToken.");
                return 2;
            }
            var pairs = new List<KeyValuePair<string, string>>();
            foreach (var field in parse.GetValue(fields) ?? [])
            {
                var eq = field.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    Console.Error.WriteLine($"error: field '{field}' is not Name=Value.");
                    return 2;
                }
                pairs.Add(new(field[..eq], field[(eq + 1)..]));
            }
            Console.WriteLine(TwilioRequestSigner.Sign(authToken, parse.GetValue(url)!, pairs));
            return 0;
        });
        return new Command("twilio", "Twilio helpers.") { sign };
    }
}
