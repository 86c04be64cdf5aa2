using System.Text.Json;
using CallCenter.Core.Ivr;

namespace CallCenter.Core.Tests.Ivr;

/// <summary>The interpreter on the bank hotline: languages, speech, verification, hours, announcements, state.</summary>
public sealed class IvrInterpreterTests
{
    private static readonly Dictionary<string, string> Emergency = new()
    {
        ["zh-CN"] = "受台风影响，部分网点暂停营业。",
        ["en-US"] = "Some branches are closed because of the typhoon.",
    };

    private static readonly IvrFlow Bank = FlowFiles.BankHotline;

    private static string[] Expected(params string[] values) => values;

    private static CallDriver Call(DateTimeOffset? at = null, IReadOnlyDictionary<string, string>? emergency = null) =>
        new CallDriver(Bank, at, emergency).Start();

    private static IEnumerable<Say> Spoken(IEnumerable<IvrVerb> verbs) =>
        verbs.SelectMany(v => v is Gather g ? g.Prompts : [v]).OfType<Say>();

    [Test]
    public void A_new_call_hears_the_welcome_then_the_language_choice_in_both_languages()
    {
        var call = Call();

        var gather = call.Last<Gather>();
        Assert.Multiple(() =>
        {
            Assert.That(call.Verbs[0], Is.EqualTo(new Say(Bank.Node("welcome").Prompts["prompt"].In("zh-CN")!, "zh-CN", null, "welcome.prompt")));
            Assert.That(gather.Prompts.OfType<Say>().Select(s => s.Language), Is.EqualTo(Expected("zh-CN", "en-US")));
            Assert.That(gather.Input, Is.EqualTo(GatherInput.DtmfAndSpeech));
            Assert.That(gather.Hints, Does.Contain("English").And.Contain("人工"));
            Assert.That(gather.Action, Is.EqualTo("1"));
            Assert.That(call.EventTypes, Is.EqualTo(Expected("ivr.entered")));
            Assert.That(call.State.Phase, Is.EqualTo(IvrPhase.Choice));
        });
    }

    [Test]
    public void A_Mandarin_caller_hears_the_main_menu_in_Chinese()
    {
        var call = Call().Press("1");

        var gather = call.Last<Gather>();
        Assert.Multiple(() =>
        {
            Assert.That(call.State.Language, Is.EqualTo("zh-CN"));
            Assert.That(gather.Language, Is.EqualTo("zh-CN"));
            Assert.That(Spoken([gather]).Single().Text, Does.StartWith("账户和银行卡服务请按1"));
            Assert.That(gather.Hints, Does.Contain("挂失").And.Not.Contain("lost"));
            Assert.That(call.Events.Single(e => e.Type == "ivr.language_chosen").Data["language"], Is.EqualTo("zh-CN"));
        });
    }

    [Test]
    public void An_English_caller_hears_the_main_menu_and_later_prompts_in_English()
    {
        var call = Call().Say("English please");

        Assert.That(call.State.Language, Is.EqualTo("en-US"));
        Assert.That(Spoken(call.Verbs).Single().Text, Does.StartWith("For accounts and cards, press 1."));

        call.Say("My wallet was stolen");

        Assert.Multiple(() =>
        {
            Assert.That(call.State.NodeId, Is.EqualTo("loss-verify"));
            Assert.That(call.Last<Gather>().Language, Is.EqualTo("en-US"));
            Assert.That(Spoken(call.Verbs).Single().Text, Is.EqualTo("Please enter your card number, followed by the hash key."));
            Assert.That(call.Last<Gather>().Input, Is.EqualTo(GatherInput.Dtmf));
            Assert.That(call.Last<Gather>().FinishOnKey, Is.EqualTo("#"));
        });
    }

    [Test]
    public void Speech_below_the_confidence_floor_is_asked_again_not_guessed()
    {
        var call = Call().Press("1");

        call.Say("余额", confidence: 0.3);

        Assert.Multiple(() =>
        {
            Assert.That(call.State.NodeId, Is.EqualTo("main-menu"));
            Assert.That(call.State.Retries, Is.EqualTo(1));
            Assert.That(call.EventTypes.Last(), Is.EqualTo("ivr.low_confidence"));
            Assert.That(Spoken(call.Verbs).First().Text, Is.EqualTo(Bank.Messages["not-understood"].In("zh-CN")));
            Assert.That(call.Last<Gather>().Action, Is.EqualTo(call.State.Step.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });

        call.Say("余额", confidence: 0.8);

        Assert.That(call.State.NodeId, Is.EqualTo("accounts-menu"));
    }

    [Test]
    public void The_confidence_floor_is_configurable()
    {
        var call = new CallDriver(Bank, options: new IvrOptions { ConfidenceFloor = 0.2 }).Start().Press("1");

        call.Say("余额", confidence: 0.3);

        Assert.That(call.State.NodeId, Is.EqualTo("accounts-menu"));
    }

    [Test]
    public void Speech_that_fits_two_options_is_asked_again()
    {
        var call = Call().Press("2");

        call.Say("lost card");

        Assert.That(call.State.NodeId, Is.EqualTo("main-menu"));
        Assert.That(call.EventTypes.Last(), Is.EqualTo("ivr.invalid_input"));
    }

    [Test]
    public void A_verified_caller_hears_the_balance_from_the_core_system()
    {
        var call = Call().Press("1").Press("1").Press("1");

        call.Press(CallDriver.Card + "#");
        Assert.That(call.State.PendingCard, Is.EqualTo(CallDriver.Card));
        Assert.That(call.Last<Gather>().NumDigits, Is.EqualTo(6));

        call.Press(CallDriver.Pin);
        Assert.That(call.PendingCore, Is.EqualTo(new CoreRequest(CoreOperation.Verify, null, CallDriver.Card, CallDriver.Pin)));
        Assert.That(call.State.PendingCard, Is.Null, "the card leaves the state with the request");

        call.Core(true, "C-1001");
        Assert.That(call.PendingCore, Is.EqualTo(new CoreRequest(CoreOperation.Balance, "C-1001", null, null)));

        call.Core(true, data: ("balance", "1,024.50"));
        Assert.Multiple(() =>
        {
            Assert.That(call.State.Verified, Is.True);
            Assert.That(Spoken(call.Verbs).Select(s => s.Text), Does.Contain("您的账户可用余额为1,024.50元。"));
            Assert.That(call.State.NodeId, Is.EqualTo("main-menu"), "back to the main menu after self-service");
            Assert.That(call.EventTypes, Does.Contain("ivr.verified").And.Contain("ivr.self_service"));
        });
    }

    [Test]
    public void A_caller_verified_once_is_not_asked_again_in_the_same_call()
    {
        var call = Call().Press("1").Press("1").Press("1").Verify(true).Core(true, data: ("balance", "1"));

        call.Press("1").Press("2");

        Assert.That(call.PendingCore?.Operation, Is.EqualTo(CoreOperation.RecentTransactions));
    }

    [Test]
    public void Three_failed_verifications_lock_self_service_and_reach_an_agent()
    {
        var call = Call().Press("1").Press("1").Press("1");

        call.Verify(false);
        Assert.That(Spoken(call.Verbs).First().Text, Is.EqualTo("卡号或密码不正确，请重新输入。"));
        call.Verify(false).Verify(false);

        Assert.Multiple(() =>
        {
            Assert.That(call.State.SelfServiceLocked, Is.True);
            Assert.That(call.Verbs[^1], Is.InstanceOf<Enqueue>());
            Assert.That(((Enqueue)call.Verbs[^1]).Queue, Is.EqualTo("general"));
            Assert.That(call.EventTypes.Count(t => t == "ivr.verification_failed"), Is.EqualTo(3));
            Assert.That(call.Events.Single(e => e.Type == "ivr.agent_requested").Data["reason"], Is.EqualTo("verification_failed"));
            Assert.That(JsonSerializer.Serialize(call.Events), Does.Not.Contain(CallDriver.Card).And.Not.Contain(CallDriver.Pin));
        });
    }

    [Test]
    public void A_core_system_that_does_not_answer_sends_the_caller_to_an_agent_at_once_without_counting_a_failure()
    {
        var call = Call().Press("1").Press("1").Press("1").Press(CallDriver.Card + "#").Press(CallDriver.Pin);

        call.Send(IvrInput.FromCore(new CoreResult(false) { Unavailable = true }));

        Assert.Multiple(() =>
        {
            Assert.That(call.Verbs[^1], Is.InstanceOf<Enqueue>());
            Assert.That(call.State.VerificationFailures, Is.Zero);
            Assert.That(call.State.SelfServiceLocked, Is.False);
            Assert.That(call.Events.Single(e => e.Type == "ivr.agent_requested").Data["reason"], Is.EqualTo("core_unavailable"));
        });
    }

    [Test]
    public void A_self_service_request_the_core_system_does_not_answer_sends_the_caller_to_an_agent()
    {
        var call = Call().Press("1").Press("1").Press("1").Verify(true);

        call.Send(IvrInput.FromCore(new CoreResult(false) { Unavailable = true }));

        Assert.That(call.Verbs[^1], Is.InstanceOf<Enqueue>());
        Assert.That(call.Events.Single(e => e.Type == "ivr.agent_requested").Data["reason"], Is.EqualTo("core_unavailable"));
    }

    [Test]
    public void A_locked_call_is_not_offered_self_service_again()
    {
        var interpreter = new IvrInterpreter(Bank);
        var locked = new IvrCallState { FlowId = Bank.Id, NodeId = "main-menu", Language = "zh-CN", Step = 9, SelfServiceLocked = true };

        var step = interpreter.Continue(locked, IvrInput.FromDigits("3"), new IvrContext(CallDriver.OpenHours));

        Assert.That(step.CoreRequest, Is.Null);
        Assert.That(step.State.NodeId, Is.EqualTo("agent-queue"));
        Assert.That(step.Events.Single(e => e.Type == "ivr.agent_requested").Data["reason"], Is.EqualTo("self_service_locked"));
    }

    [Test]
    public void A_wrong_length_card_number_is_asked_again_and_counted_as_invalid()
    {
        var call = Call().Press("1").Press("3");

        call.Press("1234#");

        Assert.Multiple(() =>
        {
            Assert.That(call.State.Phase, Is.EqualTo(IvrPhase.Card));
            Assert.That(call.State.Retries, Is.EqualTo(1));
            Assert.That(call.Events[^1].Data, Does.ContainKey("length").WithValue("4"));
        });
    }

    [Test]
    public void The_emergency_announcement_plays_before_the_main_menu_while_on()
    {
        var call = Call(emergency: Emergency).Press("2");

        var spoken = Spoken(call.Verbs).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(spoken[0].Text, Is.EqualTo(Emergency["en-US"]));
            Assert.That(spoken[0].PromptKey, Is.EqualTo("emergency"));
            Assert.That(spoken[1].Text, Does.StartWith("For accounts and cards"));
            Assert.That(call.EventTypes, Does.Contain("ivr.emergency_announcement"));
        });

        call.Press("1").Press("9");
        Assert.That(Spoken(call.Verbs).Select(s => s.Text), Does.Not.Contain(Emergency["en-US"]), "once per call");
    }

    [Test]
    public void Without_an_emergency_announcement_the_main_menu_comes_straight_after_the_language_choice()
    {
        var call = Call().Press("1");

        Assert.That(Spoken(call.Verbs).Select(s => s.PromptKey), Is.EqualTo(Expected("main-menu.prompt")));
        Assert.That(call.EventTypes, Does.Not.Contain("ivr.emergency_announcement"));
    }

    [Test]
    public void After_hours_the_human_option_records_a_callback_request_instead_of_queueing()
    {
        var call = Call(CallDriver.AfterHours).Press("1");
        Assert.That(Spoken(call.Verbs).First().PromptKey, Is.EqualTo("after-hours-notice"));

        call.Press("0");

        Assert.Multiple(() =>
        {
            Assert.That(call.Verbs.OfType<Enqueue>(), Is.Empty);
            Assert.That(call.Verbs[^1], Is.EqualTo(new RecordMessage(120, true, call.State.Step.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            Assert.That(call.State.NodeId, Is.EqualTo("callback-request"));
            Assert.That(call.EventTypes, Does.Contain("ivr.after_hours"));
        });

        call.Send(IvrInput.Recorded("RE0123456789abcdef0123456789abcdef"));
        var voicemail = call.Events.Single(e => e.Type == "ivr.voicemail");
        Assert.That(call.Verbs[^1], Is.InstanceOf<Hangup>());
        Assert.That(voicemail.Data["callback"], Is.EqualTo("true"));
        Assert.That(voicemail.Data["recording_sid"], Is.EqualTo("RE0123456789abcdef0123456789abcdef"), "the callback links the message by it");
    }

    [Test]
    public void On_a_holiday_silence_three_times_ends_in_a_callback_request()
    {
        var call = Call(new DateTimeOffset(2026, 10, 1, 11, 0, 0, TimeSpan.FromHours(8))).Press("1");

        call.Silence().Silence().Silence();

        Assert.That(call.Verbs[^1], Is.InstanceOf<RecordMessage>());
    }

    [Test]
    public void Self_service_still_works_after_hours()
    {
        var call = Call(CallDriver.AfterHours).Press("1").Press("1").Press("1").Verify(true);

        Assert.That(call.PendingCore?.Operation, Is.EqualTo(CoreOperation.Balance));
    }

    [Test]
    public void In_hours_a_complaint_goes_to_the_complaint_queue_and_is_logged_as_one()
    {
        var call = Call().Press("1").Press("4");

        Assert.That(call.Verbs[^1], Is.InstanceOf<Enqueue>());
        Assert.That(((Enqueue)call.Verbs[^1]).Queue, Is.EqualTo("complaints"));
        Assert.That(call.EventTypes, Does.Contain("ivr.complaint").And.Contain("ivr.queued"));
    }

    [Test]
    public void A_priority_from_the_core_system_raises_the_queue_priority()
    {
        var call = Call().Press("1").Press("2").Press("2").Verify(true, ("priority", "8"));

        Assert.That(((Enqueue)call.Verbs[^1]).Priority, Is.EqualTo(8));
    }

    [Test]
    public void The_call_state_survives_a_JSON_round_trip_between_webhooks()
    {
        var call = Call().Press("2").Press("1").Press("1").Press(CallDriver.Card + "#");

        var json = JsonSerializer.Serialize(call.State);
        var restored = JsonSerializer.Deserialize<IvrCallState>(json)!;

        Assert.That(JsonSerializer.Serialize(restored), Is.EqualTo(json));
        Assert.That(json, Does.Contain("\"Phase\":\"Pin\""));
        var interpreter = new IvrInterpreter(Bank);
        var fromOriginal = interpreter.Continue(call.State, IvrInput.FromDigits(CallDriver.Pin), new IvrContext(CallDriver.OpenHours));
        var fromRestored = interpreter.Continue(restored, IvrInput.FromDigits(CallDriver.Pin), new IvrContext(CallDriver.OpenHours));
        Assert.That(JsonSerializer.Serialize(fromRestored.State), Is.EqualTo(JsonSerializer.Serialize(fromOriginal.State)));
        Assert.That(fromRestored.CoreRequest, Is.EqualTo(fromOriginal.CoreRequest));
    }

    [Test]
    public void A_retried_webhook_yields_the_same_events_with_the_same_step_keys()
    {
        var call = Call().Press("1");
        var interpreter = new IvrInterpreter(Bank);
        var context = new IvrContext(CallDriver.OpenHours);

        var first = interpreter.Continue(call.State, IvrInput.FromDigits("1"), context);
        var retry = interpreter.Continue(call.State, IvrInput.FromDigits("1"), context);

        Assert.That(JsonSerializer.Serialize(retry.Events), Is.EqualTo(JsonSerializer.Serialize(first.Events)));
        Assert.That(first.Events.Select(e => e.StepKey), Is.EqualTo(Expected("003.1.ivr.menu_choice")));
    }

    [Test]
    public void After_the_agent_the_survey_records_the_score_offers_a_short_voice_comment_and_then_hangs_up()
    {
        var call = Call().Press("1").Press("0");

        call.AfterAgent();
        Assert.That(call.Last<Gather>().NumDigits, Is.EqualTo(1));
        Assert.That(call.Last<Gather>().Input, Is.EqualTo(GatherInput.Dtmf));
        call.Press("5");
        var comment = call.Verbs[^1];
        call.Send(IvrInput.Recorded("RE" + new string('c', 32)));

        Assert.Multiple(() =>
        {
            Assert.That(call.Events.Single(e => e.Type == "ivr.survey_answer").Data["score"], Is.EqualTo("5"));
            Assert.That(call.State.Data["survey"], Is.EqualTo("5"));
            Assert.That(comment, Is.InstanceOf<RecordMessage>().With.Property(nameof(RecordMessage.MaxSeconds)).EqualTo(60)
                .And.Property(nameof(RecordMessage.Callback)).False, "the comment promises no callback");
            Assert.That(call.Events.Single(e => e.Type == "ivr.voicemail").Data["recording_sid"], Is.EqualTo("RE" + new string('c', 32)));
            Assert.That(call.Verbs[^1], Is.InstanceOf<Hangup>());
        });
    }

    [Test]
    public void Silence_in_the_survey_ends_the_call_rather_than_queueing_again()
    {
        var call = Call().Press("1").Press("0").AfterAgent();

        call.Silence().Silence().Silence();

        Assert.That(call.Verbs[^1], Is.InstanceOf<Hangup>());
        Assert.That(call.Verbs.OfType<Enqueue>(), Is.Empty);
    }

    [Test]
    public void Cached_prompts_are_played_by_key_when_the_host_asks_for_them()
    {
        var call = new CallDriver(Bank, options: new IvrOptions { PlayCachedPrompts = true }).Start().Press("2");

        Assert.That(call.Last<Gather>().Prompts, Is.EqualTo(new IvrVerb[] { new Play("main-menu.prompt", "en-US") }));
    }

    [Test]
    public void Twilio_parameters_map_to_inputs()
    {
        Assert.Multiple(() =>
        {
            Assert.That(IvrInput.FromTwilio("1", null, null), Is.EqualTo(IvrInput.FromDigits("1")));
            Assert.That(IvrInput.FromTwilio(null, "人工", "0.87"), Is.EqualTo(IvrInput.FromSpeech("人工", 0.87)));
            Assert.That(IvrInput.FromTwilio("", " ", null), Is.EqualTo(IvrInput.Silence));
            Assert.That(IvrInput.FromDigits(CallDriver.Card).ToString(), Does.Not.Contain(CallDriver.Card));
        });
    }

    [TestCase("I don't know", "no", false)]
    [TestCase("no thanks", "no", true)]
    [TestCase("Can I talk to one of your agents", "agent", true)]
    [TestCase("go back to the main menu", "main menu", true)]
    [TestCase("我要转人工服务", "人工", true)]
    [TestCase("查一下余额", "余额", true)]
    [TestCase("查一下交易", "余额", false)]
    public void Spoken_keywords_match_whole_words_in_English_and_anywhere_in_Chinese(string speech, string keyword, bool expected)
    {
        Assert.That(IvrInterpreter.Mentions(speech, keyword), Is.EqualTo(expected));
    }

    [Test]
    public void Saying_I_dont_know_at_a_confirmation_is_asked_again_not_taken_as_no()
    {
        var call = Call().Press("2").Press("2").Press("1").Verify(true);
        Assert.That(call.State.NodeId, Is.EqualTo("bill-confirm-menu"));

        call.Say("I don't know");

        Assert.That(call.State.NodeId, Is.EqualTo("bill-confirm-menu"));
        Assert.That(call.EventTypes.Last(), Is.EqualTo("ivr.invalid_input"));
    }

    [Test]
    public void A_caller_circling_the_menus_keeps_a_bounded_path_in_the_state()
    {
        var call = Call().Press("1");

        for (var i = 0; i < 50; i++)
            call.Press("1").Press("9");

        Assert.That(call.State.Path, Has.Count.EqualTo(IvrInterpreter.MaxPathLength));
        Assert.That(call.State.Path[^1], Is.EqualTo("main-menu"));
        Assert.That(call.State.NodeId, Is.EqualTo("main-menu"));
    }
}
