package core

import (
	"fmt"
	"strconv"
	"strings"
)

// The pages speak English and French. Each language is one map from a message key to
// its text; every key is in every map (TestCatalogsComplete checks it). A text may hold
// fmt verbs (%s for a name, %d for a count): the caller passes the values, and the
// page escapes the result as a whole.
//
// Plurals: a key ending in ".one" or ".other" is chosen by plural(lang, n): English has
// "one" for 1 only, French for 0 and 1.

// languages are the page languages, the default first.
var languages = []string{"en", "fr"}

var catalogs = map[string]map[string]string{
	"en": {
		"error.ref":     "Reference:",
		"error.retry":   "Try again",
		"choice.title":  "Sign in",
		"choice.intro":  "Choose how you want to sign in.",
		"choice.nav":    "Identity providers",
		"prompt.title":  "Sign out",
		"prompt.ask":    "Do you want to sign out?",
		"prompt.client": "%s asked to sign you out.",
		"prompt.scope":  "This ends your session in every application you use with this account.",
		"prompt.yes":    "Yes, sign me out",
		"prompt.no":     "If you do not want to sign out, close this page or go back to the application.",

		"out.title":           "You are signed out",
		"out.return":          "Return to %s",
		"out.return_app":      "Return to the application",
		"out.close":           "You can close this window.",
		"out.provider_kept":   "Your session at %s could not be ended: you may still be signed in there. Sign out there too, or close your browser.",
		"out.provider_noend":  "%s offers no way to end your session there from here: you may still be signed in there. Sign out there too, or close your browser.",
		"out.progress.one":    "Signing you out of %d application…",
		"out.progress.other":  "Signing you out of %d applications…",
		"out.ended":           "Your session here has ended.",
		"out.none_ended":      "No session to end was found here.",
		"out.notified":        "Every application has been asked to sign you out.",
		"out.late.one":        "%d application did not answer in time.",
		"out.late.other":      "%d applications did not answer in time.",
		"out.noscript":        "Stay on this page for a few seconds while the applications are told.",
		"out.noscript_return": "Returning by itself needs JavaScript: use the link instead.",
		"out.frame":           "Signing out of the application %s",
		"out.frame_app":       "Signing out of an application",

		"err.invalid_request.title":         "The request is not valid",
		"err.invalid_request.text":          "This request could not be processed. Go back to the application and try again.",
		"err.invalid_redirect_uri.title":    "Unknown return address",
		"err.invalid_redirect_uri.text":     "The application asked to send you back to an address that is not registered for it. Contact the application's administrators.",
		"err.invalid_hint.title":            "Sign-out request not recognized",
		"err.invalid_hint.text":             "The sign-out request carries a token that was not issued here or has been altered.",
		"err.client_mismatch.title":         "Sign-out request not valid",
		"err.client_mismatch.text":          "The application named in the sign-out request does not match the token it sent.",
		"err.unknown_client.title":          "Unknown application",
		"err.unknown_client.text":           "The sign-out request names an application that is not registered here.",
		"err.redirect_without_client.title": "Sign-out request incomplete",
		"err.redirect_without_client.text":  "The sign-out request gives a return address without saying which application it belongs to.",
		"err.context_invalid.title":         "Sign-out link expired",
		"err.context_invalid.text":          "This sign-out link has expired or is not valid. You may already be signed out; if not, sign out again from the application.",
		"err.csrf.title":                    "Confirmation expired",
		"err.csrf.text":                     "This confirmation has expired or was already used. Start signing out again from the application.",
		"err.method_not_allowed.title":      "Method not allowed",
		"err.method_not_allowed.text":       "This address does not accept this kind of request.",
		"err.body_too_large.title":          "Request too large",
		"err.body_too_large.text":           "The request sent more data than this address accepts.",
		"err.provider_state.title":          "Sign-out could not be matched",
		"err.provider_state.text":           "The identity provider sent back a sign-out that does not match one started here. You may already be signed out; if not, sign out again from the application.",
		"err.server_error.title":            "Something went wrong",
		"err.server_error.text":             "Something went wrong on our side. Please try again in a moment.",
		"err.unavailable.title":             "Temporarily unavailable",
		"err.unavailable.text":              "This service cannot complete your request right now. Please try again in a moment.",
		"err.no_app.title":                  "Nothing here",
		"err.no_app.text":                   "No application is configured at this address. Check the address, or go back to the application you were using.",
		"err.param_too_long.title":          "Request too long",
		"err.param_too_long.text":           "The parameter %s is longer than this address accepts (at most %d characters). Nothing was changed.",
		"err.provider_unavailable.title":    "Sign-in is unavailable",
		"err.provider_unavailable.text":     "The identity provider could not complete the sign-in right now. Please try again in a moment.",
		"err.ambiguous_session.title":       "Two sessions in this browser",
		"err.ambiguous_session.text":        "This browser sent two different sessions for this site, and neither can be used: one of them may not be yours. Clear this site's cookies in your browser, then sign in again.",
		"err.store_unavailable.title":       "Temporarily unavailable",
		"err.store_unavailable.text":        "Your session cannot be checked right now: the session store is not available. Please try again in a moment.",
		"err.signout_unavailable.title":     "Sign-out not completed",
		"err.signout_unavailable.text":      "You could not be signed out right now: the session store is not reachable. You are still signed in. Please try again in a moment.",
		"err.signout_unconfirmed.title":     "Sign-out not confirmed",
		"err.signout_unconfirmed.text":      "Your sign-out could not be confirmed: the session store did not answer in time, and it may still take effect. Please try again: signing out again completes it either way.",
		"err.signin_unavailable.title":      "Sign-in not completed",
		"err.signin_unavailable.text":       "You could not be signed in right now: the session store is not reachable. Please try again in a moment.",
		"err.signin_busy.title":             "Sign-in not completed",
		"err.signin_busy.text":              "You could not be signed in right now: other sign-ins to your account were being completed at the same moment, each time. Please try again.",
		"err.cross_site.title":              "Sign-out not confirmed",
		"err.cross_site.text":               "This confirmation came from another site, so your browser did not send your session with it, and nothing was changed. If you want to sign out, start again from the application.",
		"err.signin_unreachable.title":      "Sign-in is unavailable",
		"err.signin_unreachable.text":       "The identity provider %s could not be reached. Please try again in a moment.",
		"err.signin_timeout.title":          "Sign-in is unavailable",
		"err.signin_timeout.text":           "The identity provider %s did not answer in time. Please try again.",
		"err.signin_internal.title":         "Sign-in failed",
		"err.signin_internal.text":          "Something went wrong on our side. Please try again.",
		"err.internal.title":                "Something went wrong",
		"err.internal.text":                 "Please try again.",
		"err.unknown_provider.title":        "Unknown identity provider",
		"err.unknown_provider.text":         "The sign-in link names an identity provider that is not configured here.",
		"err.signin_callback_only.title":    "Sign-in failed",
		"err.signin_callback_only.text":     "This address only accepts the identity provider's redirect.",
		"err.signin_no_state.title":         "Sign-in failed",
		"err.signin_no_state.text":          "The sign-in response has no valid state. Please start again from the application.",
		"err.signin_not_started.title":      "Sign-in failed",
		"err.signin_not_started.text":       "This browser holds no trace of this sign-in: it was started in another browser, took too long, was replaced by sign-ins started since in other tabs, or this browser blocks this site's cookies, which signing in needs. Please start again from the application.",
		"err.signin_mismatch.title":         "Sign-in failed",
		"err.signin_mismatch.text":          "The sign-in response does not match the sign-in this browser started. Please start again from the application.",
		"err.signin_wrong_issuer.title":     "Sign-in failed",
		"err.signin_wrong_issuer.text":      "The sign-in response came from an unexpected identity provider.",
		"err.signin_denied.title":           "Sign-in failed",
		"err.signin_denied.text":            "Sign-in was cancelled or refused at the identity provider. Please start again from the application.",
		"err.signin_provider_error.title":   "Sign-in failed",
		"err.signin_provider_error.text":    "The identity provider did not sign you in. Please start again from the application.",
		"err.signin_no_code.title":          "Sign-in failed",
		"err.signin_no_code.text":           "The sign-in response has no authorization code.",
		"err.signin_replayed.title":         "Sign-in failed",
		"err.signin_replayed.text":          "This sign-in response was already used. Please start again from the application.",
		"err.signin_token_refused.title":    "Sign-in failed",
		"err.signin_token_refused.text":     "The identity provider refused to complete the sign-in. Please start again from the application.",
		"err.signin_misconfigured.title":    "Sign-in is unavailable",
		"err.signin_misconfigured.text":     "The identity provider does not accept this site's sign-in settings, so nobody can sign in here until an administrator corrects them.",
		"err.signin_bad_answer.title":       "Sign-in failed",
		"err.signin_bad_answer.text":        "The identity provider's answer could not be used.",
		"err.signin_unverified.title":       "Sign-in failed",
		"err.signin_unverified.text":        "The identity provider's sign-in could not be verified. Please start again from the application.",
	},
	"fr": {
		"error.ref":     "Référence\u00a0:",
		"error.retry":   "Réessayer",
		"choice.title":  "Connexion",
		"choice.intro":  "Choisissez comment vous connecter.",
		"choice.nav":    "Fournisseurs d'identité",
		"prompt.title":  "Déconnexion",
		"prompt.ask":    "Voulez-vous vous déconnecter\u00a0?",
		"prompt.client": "%s demande à vous déconnecter.",
		"prompt.scope":  "Cela ferme votre session dans toutes les applications que vous utilisez avec ce compte.",
		"prompt.yes":    "Oui, me déconnecter",
		"prompt.no":     "Si vous ne voulez pas vous déconnecter, fermez cette page ou revenez à l'application.",

		"out.title":           "Déconnexion effectuée",
		"out.return":          "Revenir à %s",
		"out.return_app":      "Revenir à l'application",
		"out.close":           "Vous pouvez fermer cette fenêtre.",
		"out.provider_kept":   "Votre session chez %s n'a pas pu être fermée : vous y êtes peut-être encore connecté. Déconnectez-vous aussi là-bas, ou fermez votre navigateur.",
		"out.provider_noend":  "%s ne permet pas de fermer d'ici votre session chez lui : vous y êtes peut-être encore connecté. Déconnectez-vous aussi là-bas, ou fermez votre navigateur.",
		"out.progress.one":    "Déconnexion de %d application en cours…",
		"out.progress.other":  "Déconnexion de %d applications en cours…",
		"out.ended":           "Votre session ici a pris fin.",
		"out.none_ended":      "Aucune session à fermer n'a été trouvée ici.",
		"out.notified":        "Chaque application a été invitée à vous déconnecter.",
		"out.late.one":        "%d application n'a pas répondu à temps.",
		"out.late.other":      "%d applications n'ont pas répondu à temps.",
		"out.noscript":        "Restez quelques secondes sur cette page, le temps que les applications soient prévenues.",
		"out.noscript_return": "Le retour automatique nécessite JavaScript\u00a0: utilisez plutôt le lien.",
		"out.frame":           "Déconnexion de l'application %s",
		"out.frame_app":       "Déconnexion d'une application",

		"err.invalid_request.title":         "Requête non valide",
		"err.invalid_request.text":          "Cette requête n'a pas pu être traitée. Revenez à l'application et réessayez.",
		"err.invalid_redirect_uri.title":    "Adresse de retour inconnue",
		"err.invalid_redirect_uri.text":     "L'application a demandé à vous renvoyer vers une adresse qui n'est pas enregistrée pour elle. Contactez les administrateurs de l'application.",
		"err.invalid_hint.title":            "Demande de déconnexion non reconnue",
		"err.invalid_hint.text":             "La demande de déconnexion contient un jeton qui n'a pas été émis ici ou qui a été modifié.",
		"err.client_mismatch.title":         "Demande de déconnexion non valide",
		"err.client_mismatch.text":          "L'application indiquée dans la demande de déconnexion ne correspond pas au jeton envoyé.",
		"err.unknown_client.title":          "Application inconnue",
		"err.unknown_client.text":           "La demande de déconnexion désigne une application qui n'est pas enregistrée ici.",
		"err.redirect_without_client.title": "Demande de déconnexion incomplète",
		"err.redirect_without_client.text":  "La demande de déconnexion indique une adresse de retour sans préciser à quelle application elle appartient.",
		"err.context_invalid.title":         "Lien de déconnexion expiré",
		"err.context_invalid.text":          "Ce lien de déconnexion a expiré ou n'est pas valide. Votre session est peut-être déjà fermée\u00a0; sinon, déconnectez-vous à nouveau depuis l'application.",
		"err.csrf.title":                    "Confirmation expirée",
		"err.csrf.text":                     "Cette confirmation a expiré ou a déjà été utilisée. Recommencez la déconnexion depuis l'application.",
		"err.method_not_allowed.title":      "Méthode non autorisée",
		"err.method_not_allowed.text":       "Cette adresse n'accepte pas ce type de requête.",
		"err.body_too_large.title":          "Requête trop volumineuse",
		"err.body_too_large.text":           "La requête contient plus de données que cette adresse n'en accepte.",
		"err.provider_state.title":          "Déconnexion non reconnue",
		"err.provider_state.text":           "Le fournisseur d'identité a renvoyé une déconnexion qui ne correspond à aucune déconnexion commencée ici. Votre session est peut-être déjà fermée\u00a0; sinon, déconnectez-vous à nouveau depuis l'application.",
		"err.server_error.title":            "Une erreur s'est produite",
		"err.server_error.text":             "Une erreur s'est produite de notre côté. Veuillez réessayer dans un instant.",
		"err.unavailable.title":             "Service momentanément indisponible",
		"err.unavailable.text":              "Ce service ne peut pas traiter votre demande pour le moment. Veuillez réessayer dans un instant.",
		"err.no_app.title":                  "Aucune application ici",
		"err.no_app.text":                   "Aucune application n'est configurée à cette adresse. Vérifiez l'adresse, ou revenez à l'application que vous utilisiez.",
		"err.param_too_long.title":          "Requête trop longue",
		"err.param_too_long.text":           "Le paramètre %s est plus long que ce que cette adresse accepte (%d caractères au plus). Rien n'a été modifié.",
		"err.provider_unavailable.title":    "Connexion indisponible",
		"err.provider_unavailable.text":     "Le fournisseur d'identité ne peut pas terminer la connexion pour le moment. Veuillez réessayer dans un instant.",
		"err.ambiguous_session.title":       "Deux sessions dans ce navigateur",
		"err.ambiguous_session.text":        "Ce navigateur a envoyé deux sessions différentes pour ce site, et aucune ne peut être utilisée : l'une d'elles n'est peut-être pas la vôtre. Effacez les cookies de ce site dans votre navigateur, puis reconnectez-vous.",
		"err.store_unavailable.title":       "Service momentanément indisponible",
		"err.store_unavailable.text":        "Votre session ne peut pas être vérifiée pour le moment : le stockage des sessions n'est pas disponible. Veuillez réessayer dans un instant.",
		"err.signout_unavailable.title":     "Déconnexion non effectuée",
		"err.signout_unavailable.text":      "Vous n'avez pas pu être déconnecté pour le moment : le stockage des sessions est injoignable. Vous êtes toujours connecté. Veuillez réessayer dans un instant.",
		"err.signout_unconfirmed.title":     "Déconnexion non confirmée",
		"err.signout_unconfirmed.text":      "Votre déconnexion n'a pas pu être confirmée : le stockage des sessions n'a pas répondu à temps, et elle peut encore prendre effet. Veuillez réessayer : une nouvelle déconnexion la termine dans tous les cas.",
		"err.signin_unavailable.title":      "Connexion non effectuée",
		"err.signin_unavailable.text":       "Vous n'avez pas pu être connecté pour le moment : le stockage des sessions est injoignable. Veuillez réessayer dans un instant.",
		"err.signin_busy.title":             "Connexion non effectuée",
		"err.signin_busy.text":              "Vous n'avez pas pu être connecté pour le moment : d'autres connexions à votre compte s'effectuaient au même instant, à chaque fois. Veuillez réessayer.",
		"err.cross_site.title":              "Déconnexion non confirmée",
		"err.cross_site.text":               "Cette confirmation vient d'un autre site : votre navigateur n'a donc pas envoyé votre session avec elle, et rien n'a été modifié. Si vous voulez vous déconnecter, recommencez depuis l'application.",
		"err.signin_unreachable.title":      "Connexion indisponible",
		"err.signin_unreachable.text":       "Le fournisseur d'identité %s n'a pas pu être joint. Veuillez réessayer dans un instant.",
		"err.signin_timeout.title":          "Connexion indisponible",
		"err.signin_timeout.text":           "Le fournisseur d'identité %s n'a pas répondu à temps. Veuillez réessayer.",
		"err.signin_internal.title":         "Échec de la connexion",
		"err.signin_internal.text":          "Une erreur s'est produite de notre côté. Veuillez réessayer.",
		"err.internal.title":                "Une erreur s'est produite",
		"err.internal.text":                 "Veuillez réessayer.",
		"err.unknown_provider.title":        "Fournisseur d'identité inconnu",
		"err.unknown_provider.text":         "Le lien de connexion désigne un fournisseur d'identité qui n'est pas configuré ici.",
		"err.signin_callback_only.title":    "Échec de la connexion",
		"err.signin_callback_only.text":     "Cette adresse n'accepte que la redirection du fournisseur d'identité.",
		"err.signin_no_state.title":         "Échec de la connexion",
		"err.signin_no_state.text":          "La réponse de connexion ne contient pas d'état valide. Recommencez depuis l'application.",
		"err.signin_not_started.title":      "Échec de la connexion",
		"err.signin_not_started.text":       "Ce navigateur n'a aucune trace de cette connexion : elle a été commencée dans un autre navigateur, a pris trop de temps, a été remplacée par des connexions commencées depuis dans d'autres onglets, ou ce navigateur bloque les cookies de ce site, nécessaires pour se connecter. Recommencez depuis l'application.",
		"err.signin_mismatch.title":         "Échec de la connexion",
		"err.signin_mismatch.text":          "La réponse de connexion ne correspond pas à la connexion commencée dans ce navigateur. Recommencez depuis l'application.",
		"err.signin_wrong_issuer.title":     "Échec de la connexion",
		"err.signin_wrong_issuer.text":      "La réponse de connexion provient d'un fournisseur d'identité inattendu.",
		"err.signin_denied.title":           "Échec de la connexion",
		"err.signin_denied.text":            "La connexion a été annulée ou refusée chez le fournisseur d'identité. Recommencez depuis l'application.",
		"err.signin_provider_error.title":   "Échec de la connexion",
		"err.signin_provider_error.text":    "Le fournisseur d'identité ne vous a pas connecté. Recommencez depuis l'application.",
		"err.signin_no_code.title":          "Échec de la connexion",
		"err.signin_no_code.text":           "La réponse de connexion ne contient pas de code d'autorisation.",
		"err.signin_replayed.title":         "Échec de la connexion",
		"err.signin_replayed.text":          "Cette réponse de connexion a déjà été utilisée. Recommencez depuis l'application.",
		"err.signin_token_refused.title":    "Échec de la connexion",
		"err.signin_token_refused.text":     "Le fournisseur d'identité a refusé de terminer la connexion. Recommencez depuis l'application.",
		"err.signin_misconfigured.title":    "Connexion indisponible",
		"err.signin_misconfigured.text":     "Le fournisseur d'identité n'accepte pas les réglages de connexion de ce site : personne ne peut s'y connecter tant qu'un administrateur ne les a pas corrigés.",
		"err.signin_bad_answer.title":       "Échec de la connexion",
		"err.signin_bad_answer.text":        "La réponse du fournisseur d'identité n'a pas pu être utilisée.",
		"err.signin_unverified.title":       "Échec de la connexion",
		"err.signin_unverified.text":        "La connexion du fournisseur d'identité n'a pas pu être vérifiée. Recommencez depuis l'application.",
	},
}

// errorReasons are the reasons a failure's page may give (failure.go), each with an "err.<reason>.title" and
// "err.<reason>.text" message.
var errorReasons = []string{
	"invalid_request", "invalid_redirect_uri", "invalid_hint", "client_mismatch", "unknown_client",
	"redirect_without_client", "context_invalid", "csrf", "method_not_allowed", "body_too_large",
	"provider_state", "server_error", "unavailable", "no_app", "param_too_long", "provider_unavailable",
	"cross_site", "store_unavailable", "ambiguous_session", "signout_unavailable", "signout_unconfirmed", "signin_unavailable",
	"signin_busy",
	// sign-in (their English texts are the ones the sign-in pages had before they were
	// translated)
	"signin_unreachable",
	"signin_timeout",
	"signin_internal",
	"internal",
	"unknown_provider",
	"signin_callback_only",
	"signin_no_state",
	"signin_not_started",
	"signin_mismatch",
	"signin_wrong_issuer",
	"signin_denied",
	"signin_provider_error",
	"signin_no_code",
	"signin_replayed",
	"signin_token_refused",
	"signin_misconfigured",
	"signin_bad_answer",
	"signin_unverified",
}

// messages are one language's texts, as the pages use them: w.t("key", args...) in
// pages_render.go.
type messages struct {
	lang string
	m    map[string]string
}

func messagesFor(lang string) messages {
	m, ok := catalogs[lang]
	if !ok {
		lang, m = languages[0], catalogs[languages[0]]
	}
	return messages{lang: lang, m: m}
}

// T is the text of key with args formatted into it. An unknown key is an error, which
// fails the page: the golden tests render every page, so a typo cannot ship.
func (ms messages) T(key string, args ...any) (string, error) {
	s, ok := ms.m[key]
	if !ok {
		return "", fmt.Errorf("exeunt: no %q message in %q", key, ms.lang)
	}
	if len(args) == 0 {
		return s, nil
	}
	return fmt.Sprintf(s, args...), nil
}

// N is the plural form of key (key + ".one" or ".other") for n, with n formatted in.
func (ms messages) N(key string, n int) (string, error) {
	return ms.T(key+"."+plural(ms.lang, n), n)
}

// plural is the CLDR plural category of n in lang, for the two categories the
// supported languages use with whole numbers: French treats 0 as singular.
func plural(lang string, n int) string {
	if n == 1 || (lang == "fr" && n == 0) {
		return "one"
	}
	return "other"
}

// chooseLanguage picks the page language from the end session request's ui_locales
// (space-separated BCP 47 tags, in order of preference; OpenID Connect Core §3.1.2.1),
// falling back to the Accept-Language header (RFC 9110 §12.5.4, quality values
// honoured), then to "en". It returns one of languages. A tag matches a language by
// its primary subtag, as RFC 4647 lookup does ("fr-CA" is served "fr").
func chooseLanguage(uiLocales, acceptLanguage string) string {
	if l := uiLanguage(uiLocales); l != "" {
		return l
	}
	if l := fromAcceptLanguage(acceptLanguage); l != "" {
		return l
	}
	return languages[0]
}

// uiLanguage is the first supported language of ui_locales, or "".
func uiLanguage(uiLocales string) string {
	for _, tag := range strings.Fields(uiLocales) {
		if l := supportedLanguage(tag); l != "" {
			return l
		}
	}
	return ""
}

// supportedLanguage is the supported language of a BCP 47 tag, or "".
func supportedLanguage(tag string) string {
	primary, _, _ := strings.Cut(tag, "-")
	primary = strings.ToLower(primary)
	for _, l := range languages {
		if primary == l {
			return l
		}
	}
	return ""
}

// fromAcceptLanguage is the supported language the header ranks highest, or "". Each
// language gets the quality of the range naming it (the first one, if named twice),
// else that of "*"; ties go to the range listed first, and "*" alone to the default.
func fromAcceptLanguage(h string) string {
	if h == "" {
		return "" // no range at all (what the loops below find, without their map)
	}
	best, bestQ, bestPos := "", 0, 0
	wildQ := -1
	quality := map[string][2]int{} // language -> {q in thousandths, position}
	for pos, item := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(item, ";")
		tag = strings.TrimSpace(tag)
		q, ok := langQuality(params)
		if !ok || tag == "" {
			continue
		}
		if tag == "*" {
			if wildQ < 0 {
				wildQ = q
			}
			continue
		}
		if l := supportedLanguage(tag); l != "" {
			if _, seen := quality[l]; !seen {
				quality[l] = [2]int{q, pos}
			}
		}
	}
	for _, l := range languages {
		qp, named := quality[l]
		if !named {
			if wildQ <= 0 {
				continue
			}
			qp = [2]int{wildQ, 1 << 30} // after every named range
		}
		if qp[0] > bestQ || (qp[0] == bestQ && qp[0] > 0 && qp[1] < bestPos) {
			best, bestQ, bestPos = l, qp[0], qp[1]
		}
	}
	return best
}

// langQuality reads the q parameter of an Accept-Language item, in thousandths (1000
// when absent); ok is false when it is malformed.
func langQuality(params string) (int, bool) {
	q := 1000
	for _, p := range strings.Split(params, ";") {
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || f < 0 || f > 1 {
			return 0, false
		}
		q = int(f*1000 + 0.5)
	}
	return q, true
}
