// The seed flow: the owner invites a marketing partner with a daily form cap; the email arrives at a real SMTP
// server; its link registers the partner, who then sees the campaign and its cap.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, startBrowser, shot, checkA11y, artifacts } from "../harness.mjs";
import { startSmtp, htmlPart } from "../smtp.mjs";

let server, browser, smtp;
before(async () => {
  smtp = await startSmtp();
  server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: "Partnerdesk <invites@partnerdesk.test>" });
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

/** The paths of the page's `<link rel="preload">`s: what it asked for before its app started (frontend/index.html). */
function preloaded(page) {
  return page.evaluate(() => [...document.querySelectorAll('link[rel="preload"]')].map((l) => new URL(l.href).pathname));
}

/**
 * Presses Tab until the control named `name` (its label, or its text) has focus, checking that every control it
 * passes shows where the focus is (an outline or the focus ring's shadow).
 */
async function keyTo(page, name) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const text = (el.labels?.[0]?.textContent ?? el.getAttribute("aria-label") ?? el.innerText ?? "").trim();
      return { text, visible: style.outlineStyle !== "none" || style.boxShadow !== "none" };
    });
    if (!focused) continue;
    assert.ok(focused.visible, `no visible focus on "${focused.text}"`);
    if (focused.text === name) return;
  }
  throw new Error(`Tab never reached "${name}"`);
}

test("an owner invites a partner, who registers from the email and sees its campaign and cap", async () => {
  const owner = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  const errors = [];
  owner.on("pageerror", (e) => errors.push(e.message));
  // Code splitting (frontend/src/app.rs): every path each browser asks the server for.
  const fetched = { owner: [], partner: [] };
  owner.on("request", (r) => fetched.owner.push(new URL(r.url()).pathname));
  await owner.goto(server.url + "/signup");
  await owner.getByLabel("Organization name").fill("Acme Leads");
  await owner.getByLabel("Email").fill("owner@acme.test");
  await owner.getByLabel("Password").fill("correct horse battery staple");
  await owner.getByRole("button", { name: "Sign up" }).click();
  await owner.getByRole("heading", { name: "No campaigns yet" }).waitFor();
  await owner.getByRole("link", { name: "New campaign" }).first().click();
  await owner.getByLabel("Name").fill("Solar NY");
  await owner.getByLabel("Time zone").selectOption("America/New_York");
  await owner.getByLabel("Landing page URL").fill("https://example.com/solar");
  await owner.getByLabel("Payout per form").fill("12.50");
  await owner.getByRole("button", { name: "Create campaign" }).click();
  await owner.getByText("Campaign created.").waitFor();

  await owner.getByRole("navigation", { name: "Campaign" }).getByRole("link", { name: "Marketing Partners" }).click();
  await owner.getByRole("heading", { name: "No marketing partners yet" }).waitFor();
  await shot(owner, "10-partners-tab-empty");

  // Keyboard only (issue 18): every control reached with Tab, pressed with Enter, and visibly focused.
  await keyTo(owner, "Add Marketing Partner");
  await owner.keyboard.press("Enter");
  const dialog = owner.getByRole("dialog", { name: "Add Marketing Partner" });
  await dialog.waitFor();
  // Focus starts inside the dialog, on the email field.
  assert.equal(await owner.evaluate(() => document.activeElement?.id), "email");
  await owner.keyboard.type("not-an-email");
  await keyTo(owner, "Next");
  await owner.keyboard.press("Enter");
  const emailError = dialog.locator("#email-error");
  await emailError.waitFor();
  assert.equal(await emailError.innerText(), "Enter the partner's email address, e.g. pat@partner.com.");
  // Announced and tied to its field.
  assert.equal(await emailError.getAttribute("role"), "alert");
  const emailField = dialog.getByLabel("Partner's email");
  assert.equal(await emailField.getAttribute("aria-invalid"), "true");
  assert.match(await emailField.getAttribute("aria-describedby"), /\bemail-error\b/);
  await checkA11y(owner, "add-partner-email-error");
  // Tab stays inside the dialog: on past its last control, back to the email field.
  await keyTo(owner, "Partner's email");
  await owner.keyboard.press("ControlOrMeta+A");
  await owner.keyboard.type("pat@partner.test");
  await shot(owner, "11-add-partner-step1");
  await keyTo(owner, "Next");
  await owner.keyboard.press("Enter");
  await dialog.getByText("America/New_York").waitFor();
  await keyTo(owner, "Daily forms cap");
  await owner.keyboard.type("50");
  // Back keeps what was typed.
  await keyTo(owner, "Back");
  await owner.keyboard.press("Enter");
  assert.equal(await emailField.inputValue(), "pat@partner.test");
  await keyTo(owner, "Next");
  await owner.keyboard.press("Enter");
  assert.equal(await dialog.getByLabel("Daily forms cap").inputValue(), "50");
  await shot(owner, "12-add-partner-step2-caps");
  await keyTo(owner, "Submit");
  await owner.keyboard.press("Enter");
  await owner.getByText("Invitation sent to pat@partner.test.").waitFor();
  const row = owner.getByRole("row").filter({ hasText: "pat@partner.test" });
  await row.getByText("Forms: 0 / 50 today").waitFor();
  await row.getByText("Invited").waitFor();
  await shot(owner, "13-partners-tab-invited");

  // The email, as the partner receives it.
  const email = await smtp.waitFor(/pat@partner\.test/);
  assert.match(email, /Subject: Acme Leads invites you to Partnerdesk/);
  assert.match(email, /owner@acme\.test/);
  assert.match(email, /Solar NY/);
  const link = email.match(/https?:\/\/[^\s"<]+\/register\?token=pdi_[A-Za-z0-9_-]+/)[0];
  assert.ok(link.startsWith(server.url), link);
  const html = htmlPart(email);
  writeFileSync(join(artifacts, "14-invitation-email.html"), html);
  const mailView = await (await browser.newContext({ viewport: { width: 700, height: 640 } })).newPage();
  await mailView.setContent(html);
  await shot(mailView, "14-invitation-email", { a11y: false }); // the email, not the app

  // Before registering, the partner cannot log in.
  const partner = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  partner.on("pageerror", (e) => errors.push(e.message));
  partner.on("request", (r) => fetched.partner.push(new URL(r.url()).pathname));
  await partner.goto(server.url + "/login");
  await partner.getByLabel("Email").fill("pat@partner.test");
  await partner.getByLabel("Password").fill("correct horse battery staple");
  await partner.getByRole("button", { name: "Log in" }).click();
  await partner.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();

  await partner.goto(link);
  await partner.getByRole("heading", { name: "Join Acme Leads on Partnerdesk" }).waitFor();
  await partner.getByText("Solar NY").waitFor();
  await partner.getByText("pat@partner.test").waitFor();
  await shot(partner, "15-register");
  await partner.getByLabel("Your name or company").fill("Pat Partner");
  await partner.getByLabel("Password", { exact: true }).fill("correct horse battery staple");
  await partner.getByLabel("Confirm password").fill("correct horse battery staple");
  await partner.getByRole("button", { name: "Create account" }).click();

  await partner.getByRole("heading", { name: "Your campaigns" }).waitFor();
  const card = partner.locator(".campaign-card").filter({ hasText: "Solar NY" });
  await card.getByText("Forms: 50 / day, America/New_York").waitFor();
  await card.getByText("12.50 USD").waitFor();
  await shot(partner, "16-partner-home");

  // Partners never reach owner pages.
  await partner.goto(server.url + "/campaigns");
  await partner.getByRole("heading", { name: "Your campaigns" }).waitFor();
  // Loaded again, the page asks for the partner's module from index.html, before the app starts (a side remembered
  // by this browser), and not for the owner's.
  const partnerPreloads = await preloaded(partner);
  assert.ok(partnerPreloads.some((p) => /^\/split_partner_page_/.test(p)), partnerPreloads.join("\n"));
  assert.ok(!partnerPreloads.some((p) => /^\/split_owner_/.test(p)), partnerPreloads.join("\n"));

  // The owner sees the registration.
  await owner.reload();
  await owner.getByRole("row").filter({ hasText: "pat@partner.test" }).getByText("Active").waitFor();
  const ownerPreloads = await preloaded(owner);
  assert.ok(ownerPreloads.some((p) => /^\/split_owner_page_/.test(p)), ownerPreloads.join("\n"));
  await owner.getByRole("link", { name: "pat@partner.test" }).click();
  await owner.getByRole("heading", { name: "Pat Partner" }).waitFor();
  await owner.getByText("Delivered").waitFor();
  await shot(owner, "17-partner-single-view");
  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Partners" }).click();
  await owner.getByRole("heading", { name: "Marketing partners" }).waitFor();
  await owner.getByRole("row").filter({ hasText: "Pat Partner" }).waitFor();
  await shot(owner, "18-partners-page");

  await partner.getByRole("button", { name: "Log out" }).click();
  await partner.getByRole("heading", { name: "Log in to Partnerdesk" }).waitFor();
  // The link worked once.
  await partner.goto(link);
  await partner.getByRole("heading", { name: "This invitation was already used" }).waitFor();
  // Logging out forgot the side: the next page of this browser asks for neither side's module before its app starts.
  assert.deepEqual((await preloaded(partner)).filter((p) => /^\/split_/.test(p)), []);

  assert.deepEqual(errors, []);

  // The owner's pages came from the owner's modules, fetched when a page of each first showed (its first pages, the
  // Marketing Partners tab, the others: the single view and the Partners page); the partner's browser, through the
  // login page, its registration, its home and a try at an owner's address, never asked for any of them, nor for the
  // partner's other pages (leads, API keys, posting instructions: it opened none of them).
  const module = (name) => new RegExp(`^/split_${name}_[0-9]+-[0-9a-f]{16}\\.wasm$`);
  for (const name of ["owner_page", "owner_tab", "owner_more"]) {
    assert.ok(fetched.owner.some((p) => module(name).test(p)), `${name}: ${fetched.owner.join("\n")}`);
  }
  assert.ok(fetched.partner.some((p) => module("partner_page").test(p)), fetched.partner.join("\n"));
  assert.ok(fetched.partner.some((p) => module("register_page").test(p)), fetched.partner.join("\n"));
  assert.deepEqual(fetched.partner.filter((p) => module("owner_[a-z]+").test(p)), [], "a partner never downloads the owner's pages");
  assert.deepEqual(fetched.partner.filter((p) => module("partner_more").test(p)), [], "the partner's home alone");
});
