//! Which bot users the service may not know yet: the users of `RobotRegister` batches still to be made, and those
//! whose batch failed for good.
//!
//! Contract:
//! - A user the client was never asked to register counts as registered (one-off commands, users registered by
//!   an earlier run or elsewhere): only [`Registrations::expect`] puts a user on hold.
//! - An expected user is [`Standing::Pending`] until its batch is registered (it then counts as registered and
//!   leaves the table) or fails for good ([`Standing::Failed`], with the registration's error, kept).
//!
//! Plain data (no I/O); the client holds it under its lock and consults it before a send starts.

use std::collections::HashMap;
use zimbot_model::{UserId, ZimError};

/// Where a user the client was asked to register stands, while it is not registered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Standing {
    /// Its batch has not been registered yet: its sends wait.
    Pending,
    /// Its batch failed for good: its sends fail with this reason.
    Failed(ZimError),
}

/// The users that are not (yet) registered. See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Registrations {
    users: HashMap<UserId, Standing>,
}

impl Registrations {
    /// Puts `users` on hold until their batch is registered.
    pub(crate) fn expect(&mut self, users: impl IntoIterator<Item = UserId>) {
        self.users.extend(users.into_iter().map(|user| (user, Standing::Pending)));
    }

    /// Marks `users` registered: their sends may start.
    pub(crate) fn registered<'a>(&mut self, users: impl IntoIterator<Item = &'a UserId>) {
        for user in users {
            self.users.remove(user);
        }
    }

    /// Marks `users` as failed for good with `error`.
    pub(crate) fn failed<'a>(&mut self, users: impl IntoIterator<Item = &'a UserId>, error: &ZimError) {
        for user in users {
            self.users.insert(user.clone(), Standing::Failed(error.clone()));
        }
    }

    /// Where `user` stands; `None` when it is registered (or was never expected).
    pub(crate) fn standing(&self, user: &UserId) -> Option<&Standing> {
        self.users.get(user)
    }

    /// How many users are pending and how many failed.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let pending = self.users.values().filter(|standing| **standing == Standing::Pending).count();
        (pending, self.users.len() - pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zimbot_model::ZimCode;

    fn user(name: &str) -> UserId {
        UserId::from(name)
    }

    #[test]
    fn a_user_never_expected_counts_as_registered() {
        assert_eq!(Registrations::default().standing(&user("@RBT#a")), None);
    }

    #[test]
    fn an_expected_user_is_pending_until_registered() {
        let mut registrations = Registrations::default();
        registrations.expect([user("@RBT#a")]);
        assert_eq!(registrations.standing(&user("@RBT#a")), Some(&Standing::Pending));
        registrations.registered([&user("@RBT#a")]);
        assert_eq!(registrations.standing(&user("@RBT#a")), None);
    }

    #[test]
    fn a_failed_user_keeps_the_error() {
        let mut registrations = Registrations::default();
        registrations.expect([user("@RBT#a")]);
        let error = ZimError::new(ZimCode(660_700_006), "name too long");
        registrations.failed([&user("@RBT#a")], &error);
        assert_eq!(registrations.standing(&user("@RBT#a")), Some(&Standing::Failed(error)));
    }

    #[test]
    fn counts_tell_pending_from_failed_users() {
        let mut registrations = Registrations::default();
        registrations.expect([user("@RBT#a"), user("@RBT#b"), user("@RBT#c")]);
        registrations.registered([&user("@RBT#a")]);
        registrations.failed([&user("@RBT#b")], &ZimError::new(ZimCode(3), "refused"));
        assert_eq!(registrations.counts(), (1, 1));
    }
}
