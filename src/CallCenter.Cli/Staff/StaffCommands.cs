using System.CommandLine;
using CallCenter.Core.Security;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Cli.Staff;

/// <summary>
/// `callcenter staff add | review | totp-code`: the first administrator (and any account) from the shell, the
/// periodic access review, and the current code of an authenticator secret the operator holds.
/// </summary>
internal static class StaffCommands
{
    public static Command Create() => new("staff", "Staff accounts.") { Add(), EnrolTotp(), Review(), TotpCode() };

    private static CallCenterDbContext Open(Npgsql.NpgsqlDataSource dataSource)
    {
        var options = new DbContextOptionsBuilder<CallCenterDbContext>();
        DataExtensions.Configure(options, dataSource);
        return new CallCenterDbContext(options.Options);
    }

    private static Command Add()
    {
        var connection = CliOptions.Connection();
        var workNumber = new Option<string>("--work-number") { Required = true, Description = "The person's work number." };
        var name = new Option<string>("--name") { Required = true, Description = "Display name." };
        var role = new Option<StaffRole>("--role") { Required = true, Description = "Agent, Supervisor, Quality or Admin." };
        var level = new Option<int>("--permission-level") { DefaultValueFactory = _ => 1, Description = "1–3, the highest transaction risk they may help with." };
        var totpFile = new Option<FileInfo?>("--totp-secret-file")
        {
            Description = "Enrol the account's authenticator with the base32 secret in this file (written, mode 600, when missing). " +
                "Without it, supervisors, QA staff and administrators enrol at their first sign-in.",
        };
        var add = new Command("add", "Create a staff account; the initial password is read from standard input and must be changed at first login.")
        {
            connection, workNumber, name, role, level, totpFile,
        };
        add.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            var password = (await Console.In.ReadLineAsync(ct))?.Trim();
            if (string.IsNullOrEmpty(password))
            {
                Console.Error.WriteLine("error: no initial password on standard input.");
                return 2;
            }
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            await using var db = Open(dataSource);
            var options = Options.Create(new StaffOptions());
            var secondFactor = new StaffSecondFactor(db, options, TimeProvider.System);
            var accounts = new StaffAccounts(db, new PasswordHasher<StaffMember>(), options, TimeProvider.System, secondFactor);
            var (member, problems) = await accounts.CreateAsync("cli", parse.GetValue(workNumber)!, parse.GetValue(name)!,
                parse.GetValue(role), parse.GetValue(level), password, ct);
            if (member is null)
            {
                foreach (var problem in problems) Console.Error.WriteLine($"error: {problem}");
                return 1;
            }
            Console.WriteLine($"Created {member.Role} {member.WorkNumber}; the password must be changed at first login.");
            if (parse.GetValue(totpFile) is { } file)
            {
                await secondFactor.EnrolWithSecretAsync("cli", member, await ReadOrCreateSecretAsync(file, ct), ct);
                Console.WriteLine($"Authenticator enrolled with the secret in {file.FullName}.");
            }
            return 0;
        });
        return add;
    }

    private static Command EnrolTotp()
    {
        var connection = CliOptions.Connection();
        var workNumber = new Option<string>("--work-number") { Required = true, Description = "The person's work number." };
        var totpFile = new Option<FileInfo>("--totp-secret-file") { Required = true, Description = "Base32 secret file (written, mode 600, when missing)." };
        var command = new Command("enrol-totp", "Enrol an account's authenticator with a secret the operator holds (a provisioned token); refused when one is enrolled.")
        {
            connection, workNumber, totpFile,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            await using var db = Open(dataSource);
            var member = await db.StaffMembers.SingleOrDefaultAsync(m => m.WorkNumber == parse.GetValue(workNumber), ct);
            if (member is null || member.HasSecondFactor)
            {
                Console.Error.WriteLine(member is null ? "error: no such staff member." : "error: an authenticator is already enrolled; an administrator resets it first.");
                return 1;
            }
            var file = parse.GetValue(totpFile)!;
            await new StaffSecondFactor(db, Options.Create(new StaffOptions()), TimeProvider.System).EnrolWithSecretAsync("cli", member, await ReadOrCreateSecretAsync(file, ct), ct);
            Console.WriteLine($"Authenticator of {member.WorkNumber} enrolled with the secret in {file.FullName}.");
            return 0;
        });
        return command;
    }

    private static async Task<byte[]> ReadOrCreateSecretAsync(FileInfo file, CancellationToken ct)
    {
        if (file.Exists) return Base32.Decode((await File.ReadAllTextAsync(file.FullName, ct)).Trim());
        var secret = Totp.NewSecret();
        file.Directory?.Create();
        await File.WriteAllTextAsync(file.FullName, Base32.Encode(secret) + "\n", ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return secret;
    }

    private static Command Review()
    {
        var connection = CliOptions.Connection();
        var csv = new Option<bool>("--csv") { Description = "Write CSV (for the review record) instead of a table." };
        var inactive = new Option<int>("--inactive-days") { DefaultValueFactory = _ => 90, Description = "Flag accounts without a sign-in for this many days." };
        var review = new Command("review", "The periodic access review: every account's role, permission level, last sign-in and second factor, with findings.")
        {
            connection, csv, inactive,
        };
        review.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            await using var db = Open(dataSource);
            var report = await AccessReview.BuildAsync(db, DateTimeOffset.UtcNow, new StaffOptions(), parse.GetValue(inactive), ct);
            if (parse.GetValue(csv))
            {
                Console.Write(AccessReview.ToCsv(report));
                return 0;
            }
            Console.WriteLine($"Access review {report.GeneratedAt:u}: {report.Staff.Count} accounts");
            Console.WriteLine($"{"work number",-12} {"role",-10} {"level",5} {"last sign-in",-20} {"2nd factor",-12} findings");
            foreach (var r in report.Staff)
                Console.WriteLine($"{r.WorkNumber,-12} {r.Role,-10} {r.PermissionLevel,5} {r.LastLoginAt?.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "never",-20} {r.SecondFactor,-12} {string.Join("; ", r.Findings)}");
            return 0;
        });
        return review;
    }

    private static Command TotpCode()
    {
        var file = new Option<FileInfo>("--secret-file") { Required = true, Description = "File holding a base32 TOTP secret (e.g. .local/demo-admin-totp-secret)." };
        var command = new Command("totp-code", "Print the current 6-digit code of an authenticator secret you hold (development and provisioned tokens).") { file };
        command.SetAction(async (parse, ct) =>
        {
            var secret = Base32.Decode((await File.ReadAllTextAsync(parse.GetValue(file)!.FullName, ct)).Trim());
            Console.WriteLine(Totp.CodeAt(secret, DateTimeOffset.UtcNow));
            return 0;
        });
        return command;
    }
}
