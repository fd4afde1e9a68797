//! The activation verdict (DESIGN.md): one answer per client profile, the same in every
//! sink —
//!
//! `win7-tls12: fails at 7 of 26 addresses — cannot sign in: 3 need TLS 1.3; cannot
//! activate: 2 no TLS 1.2 suite in common (…) → <what to do>`, or
//! `win11: activates at all 26 addresses`.
//!
//! Counted from the records' client verdicts alone (each carries its kind of failure
//! and its advice), so `merge` recomputes the same lines from shards. Failures are
//! grouped by the endpoint's role (`endpoints.toml`), in the order sign-in,
//! activation, configuration, content, telemetry, mail, other; a target not in the list is
//! `other`, and when every failure is `other` the role is not named. On mail endpoints
//! (role `mail`) the group is the service and port, in mail clients' words:
//! `SMTP submission on 587 (mail clients cannot send mail): 1 needs TLS 1.2 or newer`,
//! and a profile that fails nowhere on a mail-only scan "connects" rather than
//! "activates". N counts the
//! profile's failing records, so it equals the `fail` cells of its CSV column; M
//! counts the records with a verdict for the profile (a name that did not resolve is
//! one record, one address).

use serde::Serialize;
use serde_json::{Value, json};

use crate::checks::clients::{self, Why};
use crate::endpoints::Role;
use crate::record::Record;

/// One profile's tally over the scan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileVerdict {
    pub profile: String,
    pub builds: String,
    pub alias_of: Option<String>,
    /// Records with a verdict for the profile.
    pub addresses: usize,
    /// Of which the profile fails at.
    pub failing: usize,
    /// The reasons counted, in the order first seen.
    pub reasons: Vec<Reason>,
    /// Of the addresses, those of mail endpoints (role `mail`): when they are all of
    /// them, a profile without a failure "connects", it does not "activate".
    pub mail_addresses: usize,
    /// What to do, one entry per distinct advice, in the order first seen.
    pub advice: Vec<String>,
}

/// One reason, counted where it breaks the same thing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub role: Role,
    /// On a mail endpoint, the service and port (`SMTP submission on 587`) and what its
    /// clients cannot do there (`send mail`).
    pub service: Option<(String, &'static str)>,
    pub why: Why,
    pub count: usize,
}

/// Every profile's tally, in the order the profiles were asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientVerdicts {
    pub profiles: Vec<ProfileVerdict>,
}

impl ClientVerdicts {
    /// Counts one record's client verdicts.
    pub fn add(&mut self, r: &Record) {
        let role = r.endpoint.as_ref().map_or(Role::Other, |e| e.role);
        let service = crate::record::mail_service(r).map(|m| (m.service(r.port), m.task()));
        for report in r.checks.iter().filter(|c| c.check == clients::CHECK) {
            for v in clients::verdicts(report) {
                let i = match self.profiles.iter().position(|p| p.profile == v.profile) {
                    Some(i) => i,
                    None => {
                        self.profiles.push(ProfileVerdict {
                            profile: v.profile.clone(),
                            builds: v.builds.clone(),
                            alias_of: v.alias_of.clone(),
                            ..ProfileVerdict::default()
                        });
                        self.profiles.len() - 1
                    }
                };
                let p = &mut self.profiles[i];
                p.addresses += 1;
                p.mail_addresses += usize::from(service.is_some());
                if v.connects {
                    continue;
                }
                p.failing += 1;
                // A report from before reasons had kinds: its words stand in.
                let why = v.why.clone().unwrap_or(Why::Refused {
                    how: v.reason.clone().unwrap_or_default(),
                });
                match p
                    .reasons
                    .iter_mut()
                    .find(|x| x.role == role && x.service == service && x.why == why)
                {
                    Some(x) => x.count += 1,
                    None => p.reasons.push(Reason {
                        role,
                        service: service.clone(),
                        why,
                        count: 1,
                    }),
                }
                if let Some(a) = v.advice.filter(|a| !p.advice.contains(a)) {
                    p.advice.push(a);
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// The verdict line of every profile, in order.
    pub fn lines(&self) -> Vec<String> {
        self.profiles.iter().map(ProfileVerdict::line).collect()
    }

    /// The verdict line of one profile.
    pub fn line_of(&self, profile: &str) -> Option<String> {
        self.profiles
            .iter()
            .find(|p| p.profile == profile)
            .map(ProfileVerdict::line)
    }

    /// JSON `summary.clients`.
    pub fn to_json(&self) -> Value {
        Value::Array(self.profiles.iter().map(ProfileVerdict::to_json).collect())
    }
}

/// One reason as JSON shows it.
#[derive(Serialize)]
struct ReasonJson<'a> {
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
    why: &'a Why,
    count: usize,
    text: String,
}

impl ProfileVerdict {
    /// `PROFILE: fails at N of M addresses — <reasons counted> → <what to do>`, or
    /// `PROFILE: activates at all M addresses`.
    pub fn line(&self) -> String {
        let m = self.addresses;
        let noun = if m == 1 { "address" } else { "addresses" };
        if self.failing == 0 {
            let all = if m == 1 { "the" } else { "all" };
            let verb = match self.mail_addresses == m {
                true => "connects",
                false => "activates",
            };
            return format!("{}: {verb} at {all} {m} {noun}", self.profile);
        }
        let named_roles = self.reasons.iter().any(|x| x.role != Role::Other);
        let mut groups = Vec::new();
        for role in Role::ALL {
            // Within a role, one group per mail service (none elsewhere), first seen first.
            let mut services: Vec<&Option<(String, &str)>> = Vec::new();
            for x in self.reasons.iter().filter(|x| x.role == role) {
                if !services.contains(&&x.service) {
                    services.push(&x.service);
                }
            }
            for service in services {
                let counted: Vec<String> = self
                    .reasons
                    .iter()
                    .filter(|x| x.role == role && x.service == *service)
                    .map(|x| x.why.counted(x.count))
                    .collect();
                let label = match service {
                    Some((name, task)) => format!("{name} (mail clients cannot {task})"),
                    None => role.consequence().to_string(),
                };
                groups.push(match named_roles {
                    true => format!("{label}: {}", counted.join(", ")),
                    false => counted.join(", "),
                });
            }
        }
        let mut line = format!(
            "{}: fails at {} of {m} {noun} — {}",
            self.profile,
            self.failing,
            groups.join("; ")
        );
        if !self.advice.is_empty() {
            line.push_str(" → ");
            line.push_str(&self.advice.join("; "));
        }
        line
    }

    fn to_json(&self) -> Value {
        let reasons: Vec<ReasonJson<'_>> = self
            .reasons
            .iter()
            .map(|x| ReasonJson {
                role: x.role.name(),
                service: x.service.as_ref().map(|(name, _)| name.as_str()),
                why: &x.why,
                count: x.count,
                text: x.why.counted(x.count),
            })
            .collect();
        json!({
            "profile": self.profile,
            "builds": self.builds,
            "alias_of": self.alias_of,
            "addresses": self.addresses,
            "failing": self.failing,
            "verdict": self.line(),
            "reasons": reasons,
            "advice": self.advice,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(reasons: Vec<(Role, Why, usize)>, addresses: usize) -> ProfileVerdict {
        let failing = reasons.iter().map(|(_, _, n)| n).sum();
        let reasons = reasons
            .into_iter()
            .map(|(role, why, count)| Reason {
                role,
                service: None,
                why,
                count,
            })
            .collect();
        ProfileVerdict {
            profile: "win7-tls12".into(),
            addresses,
            failing,
            reasons,
            advice: vec!["upgrade to Windows 10 or later".into()],
            ..ProfileVerdict::default()
        }
    }

    #[test]
    fn failures_are_counted_by_role() {
        let v13 = Why::NeedsNewer {
            version: "TLS 1.3".into(),
        };
        let down = Why::Unreachable {
            how: "connection refused".into(),
        };
        let t = tally(
            vec![
                (Role::Telemetry, down.clone(), 2),
                (Role::SignIn, v13, 3),
                (Role::SignIn, down, 1),
            ],
            26,
        );
        assert_eq!(
            t.line(),
            "win7-tls12: fails at 6 of 26 addresses — cannot sign in: 3 need TLS 1.3, \
             1 unreachable (connection refused); telemetry only: 2 unreachable (connection \
             refused) → upgrade to Windows 10 or later"
        );
    }

    #[test]
    fn mail_reasons_name_the_service_and_port() {
        let mail = |service: &str, task: &'static str, why: Why| Reason {
            role: Role::Mail,
            service: Some((service.to_string(), task)),
            why,
            count: 1,
        };
        let t = ProfileVerdict {
            profile: "win7".into(),
            addresses: 3,
            mail_addresses: 3,
            failing: 2,
            reasons: vec![
                mail(
                    "SMTP submission on 587",
                    "send mail",
                    Why::ServiceRefused {
                        version: "TLS 1.0".into(),
                    },
                ),
                mail(
                    "IMAP on 143",
                    "fetch mail",
                    Why::NeedsNewer {
                        version: "TLS 1.2".into(),
                    },
                ),
            ],
            advice: vec!["TLS 1.2 in the mail client or device".into()],
            ..ProfileVerdict::default()
        };
        assert_eq!(
            t.line(),
            "win7: fails at 2 of 3 addresses — SMTP submission on 587 (mail clients cannot send \
             mail): 1 refuses TLS 1.0 after the handshake (the mail service); IMAP on 143 (mail \
             clients cannot fetch mail): 1 needs TLS 1.2 or newer → TLS 1.2 in the mail client \
             or device"
        );
        let ok = ProfileVerdict {
            profile: "win10".into(),
            addresses: 3,
            mail_addresses: 3,
            ..ProfileVerdict::default()
        };
        assert_eq!(ok.line(), "win10: connects at all 3 addresses");
    }

    #[test]
    fn targets_without_a_role_are_not_labelled() {
        let t = tally(vec![(Role::Other, Why::Timeout, 1)], 1);
        assert_eq!(
            t.line(),
            "win7-tls12: fails at 1 of 1 address — 1 no answer in time → upgrade to Windows 10 or later"
        );
        let ok = ProfileVerdict {
            profile: "win11".into(),
            addresses: 26,
            ..ProfileVerdict::default()
        };
        assert_eq!(ok.line(), "win11: activates at all 26 addresses");
    }
}
